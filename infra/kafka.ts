import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KAFKA_ARTIFACTS } from './artifacts.js';
import {
  HOST,
  javaBin,
  KAFKA_BOOTSTRAP,
  KAFKA_CONTROLLER_PORT,
  KAFKA_PORT,
  KAFKA_SASL_PASSWORD,
  KAFKA_SASL_PORT,
  KAFKA_SASL_USER,
  VERSIONS,
} from './config.js';
import { InfraError } from './errors.js';
import { fetchArtifacts } from './fetch.js';
import { kafkaHealthy } from './kafka-probe.js';
import { run } from './proc.js';
import { confDir, dataDir, type ServerSpec } from './server.js';

const NAME = 'kafka';

/** Same shape as Kafka's Uuid.randomUuid(): 16 random bytes, base64url, never starting with '-'. */
function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function serverProperties(logDirs: string, sasl: number | undefined): string {
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    // A static voter set keeps single-node formatting simple (no --standalone / dynamic quorum).
    'controller.quorum.voters': `1@${HOST}:${KAFKA_CONTROLLER_PORT}`,
    listeners: `PLAINTEXT://${HOST}:${KAFKA_PORT},CONTROLLER://${HOST}:${KAFKA_CONTROLLER_PORT}${sasl ? `,SASL_PLAINTEXT://${HOST}:${sasl}` : ''}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${KAFKA_PORT}${sasl ? `,SASL_PLAINTEXT://${HOST}:${sasl}` : ''}`,
    'listener.security.protocol.map': `PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${sasl ? ',SASL_PLAINTEXT:SASL_PLAINTEXT' : ''}`,
    ...(sasl
      ? {
          'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
          // The user itself is created by `kafka-storage format --add-scram` (KRaft has no ZooKeeper to hold it).
          'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config':
            'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        }
      : {}),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': logDirs,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Tests start consumers constantly; the default 3s delay would slow every first join.
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': true,
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

const LOG4J2 = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.coordinator.name = org.apache.kafka.coordinator
logger.coordinator.level = info
`;

export function kafkaSpec(): ServerSpec {
  return {
    name: NAME,
    kind: 'kafka',
    host: HOST,
    port: KAFKA_PORT,
    ports: [KAFKA_PORT, KAFKA_CONTROLLER_PORT, ...(KAFKA_SASL_PORT ? [KAFKA_SASL_PORT] : [])],
    url: KAFKA_BOOTSTRAP,
    fingerprint: JSON.stringify({ v: VERSIONS.kafka, port: KAFKA_PORT, controller: KAFKA_CONTROLLER_PORT, sasl: KAFKA_SASL_PORT ?? null }),
    startTimeoutMs: 90_000,
    stopTimeoutMs: 30_000,
    healthy: () => kafkaHealthy(HOST, KAFKA_PORT),
    checkStartup(log) {
      const fatal = /(?:Exiting Kafka due to fatal exception|Fatal error during \w+ startup)[^\n]*\n([^\n]+)/.exec(log);
      if (fatal) return `broker failed to start: ${fatal[1]?.trim().slice(0, 300)}`;
      if (log.includes('Exiting Kafka')) return 'broker failed to start';
      return undefined;
    },
    async prepare() {
      const lib = await fetchArtifacts(KAFKA_ARTIFACTS);
      const conf = confDir(NAME);
      const data = dataDir(NAME);
      mkdirSync(conf, { recursive: true });
      mkdirSync(data, { recursive: true });
      const propsFile = join(conf, 'server.properties');
      const log4jFile = join(conf, 'log4j2.properties');
      writeFileSync(propsFile, serverProperties(data, KAFKA_SASL_PORT));
      writeFileSync(log4jFile, LOG4J2);
      const classpath = join(lib, '*');
      const common = [`-Dlog4j2.configurationFile=${log4jFile}`, '-cp', classpath];
      if (!existsSync(join(data, 'meta.properties'))) {
        // -g: a storage dir formatted by an earlier, interrupted attempt is fine as it is.
        const format = await run(javaBin(), [
          ...common,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          kafkaClusterId(),
          '-c',
          propsFile,
          '-g',
          ...(KAFKA_SASL_PORT ? ['--add-scram', `SCRAM-SHA-512=[name=${KAFKA_SASL_USER},password=${KAFKA_SASL_PASSWORD}]`] : []),
        ]);
        if (format.code !== 0) {
          throw new InfraError(`kafka storage format failed (exit ${format.code})`, format.output.trim().split('\n').slice(-40).join('\n'));
        }
      }
      return {
        jvmArgs: ['-Xms512m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true', ...common],
        mainArgs: ['kafka.Kafka', propsFile],
      };
    },
  };
}
