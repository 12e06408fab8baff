/**
 * Validation across options: values each valid alone but not together. Every rule reports through
 * the shared Report, so a bad combination is listed with every other problem of the load.
 */

import type { Values } from './merge.js';
import { appliesTo, type Command, type Key } from './schema.js';
import type { Report } from './sources.js';
import { duplicateNames, duplicateRules } from './stages.js';

export interface Rule {
  /** The rule runs only when every one of these applies to the command and loaded without error. */
  readonly keys: readonly Key[];
  /** Runs only for these commands (default: wherever its keys apply). */
  readonly commands?: readonly Command[];
  check(v: Values, report: Report): void;
}

/** Each rule runs only when all of its options apply to the command (a bench run ignores es.*). */
export const RULES: readonly Rule[] = [
  {
    keys: ['sample.policies', 'filter.rules', 'check.rules'],
    check(v, r) {
      for (const e of duplicateRules(v.get('check.rules'))) r.error(e);
      for (const e of duplicateNames(v.get('sample.policies'), 'sample.policies')) r.error(e);
      for (const e of duplicateNames(v.get('filter.rules'), 'filter.rules')) r.error(e);
    },
  },
  {
    keys: ['window.quietMs', 'window.maxWindowMs'],
    check(v, r) {
      if (v.get('window.quietMs') > v.get('window.maxWindowMs')) {
        r.error(`${v.where('window.quietMs')} must not exceed ${v.where('window.maxWindowMs')}: a trace would always flush on age`);
      }
    },
  },
  {
    keys: ['es.retryInitialMs', 'es.retryMaxMs'],
    check(v, r) {
      if (v.get('es.retryInitialMs') > v.get('es.retryMaxMs'))
        r.error(`${v.where('es.retryInitialMs')} must not exceed ${v.where('es.retryMaxMs')}`);
    },
  },
  {
    keys: ['sink.kind', 'sink.file'],
    check(v, r) {
      const kind = v.get('sink.kind');
      if (kind === 'file' && !v.has('sink.file')) r.error(`sink.file is required when ${v.where('sink.kind')} is file`);
      if (kind !== 'file' && v.has('sink.file'))
        r.error(`${v.where('sink.file')} is set but ${v.where('sink.kind')} is ${kind}; set sink.kind to file`);
    },
  },
  {
    keys: ['es.username', 'es.password'],
    check(v, r) {
      // Basic auth needs both; one alone is a half-finished config that would fail at the first request.
      if (v.has('es.username') !== v.has('es.password')) {
        const [set, missing] = v.has('es.username') ? (['es.username', 'es.password'] as const) : (['es.password', 'es.username'] as const);
        r.error(`${missing} is required when ${v.where(set)} is set`);
      }
    },
  },
  {
    keys: ['kafka.topic', 'kafka.deadLetterTopic'],
    check(v, r) {
      const dlt = v.get('kafka.deadLetterTopic');
      // Consuming our own dead letters would loop a poison message forever.
      if (v.get('kafka.topic').includes(dlt))
        r.error(`${v.where('kafka.deadLetterTopic')} must not be one of the consumed topics (${v.where('kafka.topic')})`);
    },
  },
  {
    keys: ['stage', 'kafka.topic', 'kafka.rekeyTopic', 'kafka.deadLetterTopic', 'http.enabled'],
    check(v, r) {
      const keyed = v.get('kafka.rekeyTopic');
      // Stage 1 consuming its own output would loop every span forever.
      if (v.get('kafka.topic').includes(keyed))
        r.error(`${v.where('kafka.rekeyTopic')} must not be one of the consumed raw topics (${v.where('kafka.topic')})`);
      if (keyed === v.get('kafka.deadLetterTopic'))
        r.error(`${v.where('kafka.rekeyTopic')} must differ from ${v.where('kafka.deadLetterTopic')}`);
      const stage = v.get('stage');
      if (stage === 'rekey' && v.get('http.enabled'))
        r.error(
          `${v.where('http.enabled')} is not supported with ${v.where('stage')}: spans posted over HTTP have no Kafka offsets to commit after the keyed produce`,
        );
    },
  },
  {
    keys: ['http.enabled', 'http.host', 'http.port', 'admin.enabled', 'admin.host', 'admin.port'],
    check(v, r) {
      if (!v.get('http.enabled') || !v.get('admin.enabled')) return;
      const port = v.get('http.port');
      if (port === 0 || port !== v.get('admin.port')) return;
      const wildcard = new Set(['0.0.0.0', '::', '']);
      const [a, b] = [v.get('http.host'), v.get('admin.host')];
      if (a === b || wildcard.has(a) || wildcard.has(b)) r.error(`${v.where('http.port')} and ${v.where('admin.port')} are the same port`);
    },
  },
  {
    keys: ['replay.from', 'replay.to'],
    check(v, r) {
      const from = v.get('replay.from');
      const to = v.get('replay.to');
      if (from === undefined || to === undefined) return;
      const backwards =
        (from.kind === 'offset' && to.kind === 'offset' && from.offset > to.offset) ||
        (from.kind === 'time' && to.kind === 'time' && from.timestampMs > to.timestampMs);
      if (backwards) r.error(`${v.where('replay.from')} is after ${v.where('replay.to')}`);
    },
  },
  {
    keys: ['replay.dryRun', 'replay.out'],
    check(v, r) {
      if (v.get('replay.dryRun') && v.has('replay.out'))
        r.error(`${v.where('replay.dryRun')} and ${v.where('replay.out')} exclude each other: a dry run writes nothing`);
    },
  },
];

/** Rules for one command only. */
const COMMAND_RULES: readonly Rule[] = [
  {
    keys: ['kafka.topic'],
    commands: ['replay'],
    check(v, r) {
      // A replay plans offset ranges of one topic; several would need one plan each.
      if (v.get('kafka.topic').length !== 1) r.error(`${v.where('kafka.topic')}: tracefold replay reads exactly one topic`);
    },
  },
  ...(['produce', 'ship'] as const).map(
    (command): Rule => ({
      keys: ['kafka.topic'],
      commands: [command],
      check(v, r) {
        // The default topic (zipkin) is right for a consumer but a demo writing to it by accident is not.
        if (v.source('kafka.topic').kind === 'default') r.error(`kafka.topic is required for tracefold ${command} (--topic, -t)`);
        else if (v.get('kafka.topic').length !== 1) r.error(`${v.where('kafka.topic')}: tracefold ${command} writes to exactly one topic`);
      },
    }),
  ),
];

export function checkRules(command: Command, values: Values, report: Report): void {
  for (const rule of [...RULES, ...COMMAND_RULES]) {
    if (rule.commands !== undefined && !rule.commands.includes(command)) continue;
    if (rule.keys.every((k) => appliesTo(k, command) && !values.failed.has(k))) rule.check(values, report);
  }
}
