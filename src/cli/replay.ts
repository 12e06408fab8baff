import { formatError } from '../../core/errors.js';
import { labelValue } from '../../workers/protocol.js';
import { IngestNode } from '../ingest/node.js';
import { planReplay } from '../replay/plan.js';
import { ReplayProgress } from '../replay/progress.js';
import { formatSummary, type ReplaySummary, sumOf } from '../replay/summary.js';
import type { Command } from './main.js';
import { loadOrExit, nodeOptions, preflight, SignalTrap } from './pipeline-setup.js';

export const command: Command = {
  summary: 're-ingest a bounded range of a topic',
  async run(argv) {
    const loaded = loadOrExit('replay', argv);
    if ('exit' in loaded) return loaded.exit;
    const { config, log } = loaded;
    const started = Date.now();
    const r = config.replay;
    // One topic: checked by the loader (src/config/rules.ts) with every other error.
    const topic = config.kafka.topic[0] as string;
    const trap = new SignalTrap(log);
    let node: IngestNode | undefined;
    try {
      const planned = planReplay({
        bootstrapServers: config.kafka.bootstrapServers,
        properties: config.kafka.librdkafka,
        topic,
        partitions: r.partitions,
        from: r.from,
        to: r.to,
        group: r.group,
        resume: r.commit,
        client: { 'client.id': config.kafka.clientId, ...config.kafka.librdkafka },
      }).then((x) => {
        log.debug('replay: ranges planned');
        return x;
      });
      // Kafka's offsets and the search engine's templates are independent round trips: side by side.
      const [ranges, workerSettings] = await Promise.all([planned, preflight(config, log)]);
      log.debug('replay: search engine ready');
      if (trap.cancelled) return 0;
      const base = nodeOptions(config, workerSettings);
      const todo = ranges.filter((x) => x.end > x.start);
      node = new IngestNode(
        {
          ...base,
          source: {
            ...base.source,
            groupId: r.group,
            assignment: todo.map((x) => ({ topic: x.topic, partition: x.partition, offset: x.start })),
          },
          ranges,
          commit: r.commit,
          deadLetter: r.dryRun ? 'count' : 'kafka',
          admin: { ...base.admin, enabled: false },
          http: { ...base.http, enabled: false },
        },
        log,
      );
      const n = node;
      log.info({ ranges: ranges.map((x) => `${x.partition}:[${x.start},${x.end})`), group: r.group }, 'replay plan');
      const progress = new ReplayProgress(() => ({ ranges: n.progress(), spans: n.pipelineTotals.sum('spans_decoded') }));
      progress.start();
      try {
        await trap.run(n);
      } finally {
        progress.stop();
      }
      const totals = n.pipelineTotals;
      const counts = n.counts;
      const quarantined = totals.by('decode_errors', 'reason');
      const rejected = totals.sum('spans_rejected');
      if (rejected > 0) quarantined.rejected = rejected;
      const durationSec = Math.max(0.001, (Date.now() - started) / 1000);
      const spans = totals.sum('spans_decoded');
      const kept = totals.by('spans_sampled', 'policy', (s) => labelValue(s, 'decision') === 'kept');
      const summary: ReplaySummary = {
        topic,
        partitions: ranges.map((x) => x.partition),
        dryRun: r.dryRun,
        sink:
          config.sink.kind === 'elasticsearch'
            ? `${config.es.hosts.join(',')} (index ${config.es.index})`
            : config.sink.kind === 'file'
              ? `file ${config.sink.file}`
              : 'nothing',
        messages: counts.messages,
        bytes: counts.bytes,
        spans,
        traces: totals.sum('traces_flushed'),
        quarantined,
        filtered: totals.by('spans_filtered', 'reason'),
        kept,
        sampledOut: totals.sum('spans_sampled') - sumOf(kept),
        lateSpans: totals.sum('spans_late'),
        written: totals.sum('spans_written'),
        deadLettered: counts.deadLettered,
        unresolvedMessages: counts.outstanding,
        durationMs: Math.round(durationSec * 1000),
        spansPerSecond: spans / durationSec,
        messagesPerSecond: counts.messages / durationSec,
        ok: counts.outstanding === 0 && rejected === 0 && !n.failed,
      };
      process.stdout.write(r.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
      return summary.ok ? 0 : 1;
    } catch (err) {
      process.stderr.write(`${formatError(err)}\n`);
      if (node) await node.stop('startup failed').catch(() => undefined);
      return 2;
    }
  },
};
