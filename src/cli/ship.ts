import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { kafkaConnection } from '../kafka/connection.js';
import { KafkaProducer } from '../kafka/producer.js';
import { startShipAdmin } from '../ship/admin.js';
import { checkGlobs } from '../ship/glob.js';
import { ShipMetrics } from '../ship/metrics.js';
import { Shipper } from '../ship/shipper.js';
import { loadCli, runCli } from './io.js';
import type { Command } from './main.js';

export const command: Command = {
  summary: 'tail span log files into Kafka, keyed by trace ID',
  run: (argv) =>
    runCli(async () => {
      const loaded = loadCli('ship', argv);
      if ('exit' in loaded) return loaded.exit;
      const { config, log } = loaded;
      const { kafka, ship, admin } = config;
      // Before connecting: a path that can never be read is a usage error, not something to wait for.
      checkGlobs(ship.paths, (p) => accessSync(p, constants.R_OK));
      const metrics = new ShipMetrics();
      // The same connection settings as ingest and produce (security.protocol, sasl.*, ssl.*).
      const conn = kafkaConnection(kafka.bootstrapServers, kafka.librdkafka);
      const producer = await KafkaProducer.connect(conn, {
        'client.id': kafka.clientId,
        'compression.codec': ship.compression,
        'linger.ms': ship.lingerMs,
        // Never give up on a message while Kafka is away: the position cannot pass it, and reading
        // pauses at ship.maxInFlightBytes, so waiting is bounded in memory.
        'message.timeout.ms': 0,
      });
      let fatal: (err: Error) => void = () => undefined;
      const failed = new Promise<Error>((resolve) => {
        fatal = resolve;
      });
      const shipper = new Shipper(
        {
          globs: ship.paths,
          topic: kafka.topic[0] as string,
          deadLetterTopic: kafka.deadLetterTopic,
          positionFile: resolve(ship.positionFile),
          pollIntervalMs: ship.pollIntervalMs,
          readBytes: ship.readBytes,
          maxInFlightBytes: ship.maxInFlightBytes,
          positionFlushMs: ship.positionFlushMs,
          onFatal: (err) => fatal(err),
        },
        producer,
        log,
        metrics,
      );
      const server = admin.enabled
        ? await startShipAdmin(admin.host, admin.port, metrics.registry, () => ({
            status: 'UP',
            details: { files: shipper.files, inFlightBytes: shipper.inFlightBytes, backpressured: shipper.backpressured },
          }))
        : undefined;
      const address = server?.address();
      log.info(
        { paths: ship.paths, topic: kafka.topic[0], adminPort: typeof address === 'object' ? address?.port : undefined },
        `shipping ${ship.paths.join(', ')} → ${kafka.topic[0]}`,
      );
      shipper.start();
      const signal = new Promise<NodeJS.Signals>((done) => {
        let signals = 0;
        const onSignal = (sig: NodeJS.Signals): void => {
          if (++signals > 1) {
            log.warn({ signal: sig }, 'second signal: exiting at once (unacknowledged lines are read again on restart)');
            process.exit(130);
          }
          done(sig);
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      const end = await Promise.race([signal.then((sig) => ({ sig })), failed.then((err) => ({ err }))]);
      if ('err' in end) {
        log.error({ err: end.err.message }, 'the Kafka producer failed for good: exiting so a restart resumes from the saved positions');
        await shipper.stop(0);
        await producer.close().catch(() => undefined);
        server?.close();
        return 1;
      }
      log.info({ signal: end.sig }, 'stopping: waiting for Kafka to acknowledge what was read');
      const unacked = await shipper.stop(ship.shutdownTimeoutMs);
      await producer.close().catch((err: unknown) => log.warn({ err }, 'producer close failed'));
      server?.close();
      if (unacked > 0) log.warn({ unacknowledgedBytes: unacked }, 'stopped with bytes unacknowledged: they are read again on restart');
      else log.info('stopped: everything read was acknowledged');
      return unacked > 0 ? 1 : 0;
    }),
};
