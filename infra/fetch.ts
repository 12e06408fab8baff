import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot } from './config.js';
import { InfraError } from './errors.js';
import { withLock } from './lock.js';
import { run } from './proc.js';
import { say } from './say.js';

const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1';
const MARKER = '.complete';

export interface MavenCoord {
  groupId: string;
  artifactId: string;
  version: string;
}

/**
 * One cached lib folder. Either the full runtime classpath of `dependencies` (with
 * `managed` pinning transitive versions), or the single `artifact` (g:a:v:type:classifier).
 */
export type ArtifactSet = { id: string; dependencies: MavenCoord[]; managed?: MavenCoord[] } | { id: string; artifact: string };

function depXml(c: MavenCoord): string {
  return `<dependency><groupId>${c.groupId}</groupId><artifactId>${c.artifactId}</artifactId><version>${c.version}</version></dependency>`;
}

function pomXml(dependencies: MavenCoord[], managed: MavenCoord[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tracefold.infra</groupId>
  <artifactId>fetch</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencyManagement><dependencies>${managed.map(depXml).join('')}</dependencies></dependencyManagement>
  <dependencies>${dependencies.map(depXml).join('')}</dependencies>
</project>
`;
}

export function libDir(set: ArtifactSet): string {
  return join(cacheRoot(), set.id, 'lib');
}

export function isFetched(set: ArtifactSet): boolean {
  return existsSync(join(cacheRoot(), set.id, MARKER));
}

/**
 * Returns the lib folder for `set`, downloading it first if needed. The marker is written only
 * after Maven succeeded, so an interrupted fetch is thrown away and redone.
 */
export async function fetchArtifacts(set: ArtifactSet): Promise<string> {
  const home = join(cacheRoot(), set.id);
  const lib = join(home, 'lib');
  if (isFetched(set)) return lib;
  return withLock(`${home}.lock`, `fetch of ${set.id}`, async () => {
    if (isFetched(set)) return lib;
    rmSync(home, { recursive: true, force: true });
    const partial = join(home, 'lib.partial');
    const work = mkdtempSync(join(tmpdir(), 'tracefold-fetch-'));
    const started = Date.now();
    say(`fetching ${set.id} from Maven Central into ${home} (first run only)`);
    try {
      let args: string[];
      if ('artifact' in set) {
        args = ['-B', '-q', `${DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${set.artifact}`, `-DoutputDirectory=${partial}`];
      } else {
        writeFileSync(join(work, 'pom.xml'), pomXml(set.dependencies, set.managed ?? []));
        args = ['-B', '-q', `${DEPENDENCY_PLUGIN}:copy-dependencies`, '-DincludeScope=runtime', `-DoutputDirectory=${partial}`];
      }
      const result = await run(process.env.TRACEFOLD_MVN || 'mvn', args, { cwd: work });
      if (result.code !== 0) {
        const tail = result.output.trim().split('\n').slice(-40).join('\n');
        throw new InfraError(`maven could not fetch ${set.id} (exit ${result.code}); is Maven Central reachable?`, tail);
      }
      const jars = existsSync(partial) ? readdirSync(partial).filter((f) => f.endsWith('.jar')) : [];
      if (jars.length === 0) throw new InfraError(`maven fetched no jars for ${set.id}`, result.output.trim());
      renameSync(partial, lib);
      writeFileSync(join(home, MARKER), `${JSON.stringify({ fetchedAt: new Date().toISOString(), jars: jars.length })}\n`);
      say(`fetched ${set.id}: ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      return lib;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}
