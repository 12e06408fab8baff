import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { cacheRoot, javaBin } from './config.js';
import { withLock } from './lock.js';
import { run } from './proc.js';
import { say } from './say.js';

/**
 * The codelibs runners' own main() catches every startup exception and exits 1 printing nothing.
 * This launcher does the same job (build, wait until closed, close on SIGTERM) but prints the
 * cause chain first, on one line our readiness check can pick up. Reflection keeps it free of
 * compile-time dependencies, so one class serves both the OpenSearch and Elasticsearch runners.
 */
const SOURCE = `import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

public final class TracefoldRunnerMain {
  public static void main(String[] args) {
    try {
      Class<?> type = Class.forName(System.getProperty("tracefold.runner"));
      Object runner = type.getConstructor().newInstance();
      Method close = type.getMethod("close");
      Method isClosed = type.getMethod("isClosed");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try { close.invoke(runner); } catch (Exception e) { e.printStackTrace(); }
      }));
      type.getMethod("build", String[].class).invoke(runner, (Object) args);
      while (!(Boolean) isClosed.invoke(runner)) Thread.sleep(5000);
    } catch (Throwable t) {
      Throwable cause = t instanceof InvocationTargetException && t.getCause() != null ? t.getCause() : t;
      StringBuilder line = new StringBuilder();
      for (Throwable c = cause; c != null; c = c.getCause()) {
        if (line.length() > 0) line.append(" <- ");
        line.append(c.getMessage() != null ? c.getMessage() : c.getClass().getName());
        if (c.getCause() == c) break;
      }
      System.out.println("tracefold: runner failed: " + line);
      cause.printStackTrace(System.out);
      System.out.flush();
      System.exit(1);
    }
  }
}
`;

export const RUNNER_MAIN_CLASS = 'TracefoldRunnerMain';
/** Not anchored: once OpenSearch's logging is up, stdout lines come prefixed by its `stdout` logger. */
export const RUNNER_FAILED = /tracefold: runner failed: (.*)$/m;

function javacBin(): string {
  const java = javaBin();
  return basename(java) === 'java' && java !== 'java' ? join(dirname(java), 'javac') : 'javac';
}

/** Directory holding the compiled launcher (compiled once per source version), or undefined without a JDK. */
export async function runnerMainDir(): Promise<string | undefined> {
  const hash = createHash('sha256').update(SOURCE).digest('hex').slice(0, 12);
  const dir = join(cacheRoot(), `runner-main-${hash}`);
  if (existsSync(join(dir, `${RUNNER_MAIN_CLASS}.class`))) return dir;
  return withLock(`${dir}.lock`, 'runner launcher compile', async () => {
    if (existsSync(join(dir, `${RUNNER_MAIN_CLASS}.class`))) return dir;
    const work = `${dir}.partial`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, `${RUNNER_MAIN_CLASS}.java`), SOURCE);
    const result = await run(javacBin(), ['-d', work, join(work, `${RUNNER_MAIN_CLASS}.java`)]).catch(() => undefined);
    if (result?.code !== 0) {
      rmSync(work, { recursive: true, force: true });
      say('javac not available: starting the runner directly (its startup errors will not be printed)');
      return undefined;
    }
    renameSync(work, dir);
    return dir;
  });
}
