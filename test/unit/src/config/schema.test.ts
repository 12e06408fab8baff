import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Position } from '../../../../src/config/parse.js';
import {
  COMMAND_INFO,
  COMMANDS,
  type Config,
  type ConfigFor,
  envName,
  envNames,
  flagName,
  flagNames,
  KEYS,
  OPTIONS,
  optionDef,
  type ReplayConfig,
  SECTION_TITLES,
  sectionOf,
} from '../../../../src/config/schema.js';

// ── Compile-time: the derived Config type is the precise shape the rest of the program relies on. ──
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_proof: T): void {}
expectType<Equal<Config['kafka']['topic'], readonly string[]>>(true);
expectType<Equal<Config['kafka']['autoOffsetReset'], 'earliest' | 'latest'>>(true);
expectType<Equal<Config['kafka']['librdkafka'], Readonly<Record<string, string>>>>(true);
expectType<Equal<Config['kafka']['streams'], number | undefined>>(true);
expectType<Equal<Config['kafka']['deadLetterTopic'], string>>(true);
expectType<Equal<Config['es']['password'], string | undefined>>(true);
expectType<Equal<Config['es']['timeoutMs'], number>>(true);
expectType<Equal<Config['sink']['kind'], 'elasticsearch' | 'null' | 'file'>>(true);
expectType<Equal<Config['workers'], number>>(true);
expectType<Equal<Config['log']['level'], 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'>>(true);
expectType<Equal<'replay' extends keyof Config ? true : false, false>>(true);
expectType<Equal<ReplayConfig['replay']['from'], Position<'earliest'>>>(true);
expectType<Equal<ReplayConfig['replay']['to'], Position<'latest'>>>(true);
expectType<Equal<ReplayConfig['replay']['partitions'], readonly number[]>>(true);
expectType<Equal<ConfigFor<'replay'>, ReplayConfig>>(true);
expectType<Equal<ConfigFor<'ingest'>, Config>>(true);
expectType<Equal<ConfigFor<'ingest' | 'replay'>, Config>>(true);
export function readonlyProof(config: Config): void {
  // @ts-expect-error Config is readonly all the way down
  config.kafka.groupId = 'x';
  // @ts-expect-error lists are readonly too
  config.kafka.topic.push('x');
}

describe('option table', () => {
  test('keys are dotted camelCase, at most one level of section', () => {
    for (const key of KEYS) assert.match(key, /^(?:[a-z][a-z0-9]*\.)?[a-z][a-zA-Z0-9]*$/, key);
  });

  test('every option has a description, at least one command and a known section', () => {
    for (const key of KEYS) {
      const def = optionDef(key);
      assert.ok(def.description.length > 10 && def.description.endsWith('.'), `${key}: description`);
      assert.ok(def.commands.length > 0, `${key}: commands`);
      assert.ok(SECTION_TITLES[sectionOf(key)] !== undefined, `${key}: section title`);
    }
  });

  test('every option has exactly one way to get a value when unset: default, computed, optional or required', () => {
    for (const key of KEYS) {
      const def = optionDef(key);
      const ways = [def.default !== undefined, def.computed !== undefined, def.optional === true, def.required === true].filter(Boolean);
      assert.equal(ways.length, 1, key);
    }
  });

  test('derived names: TRACEFOLD_<KEY> and --kebab-key', () => {
    assert.equal(envName('kafka.bootstrapServers'), 'TRACEFOLD_KAFKA_BOOTSTRAP_SERVERS');
    assert.equal(envName('workers'), 'TRACEFOLD_WORKERS');
    assert.equal(flagName('kafka.bootstrapServers'), 'kafka-bootstrap-servers');
    assert.equal(flagName('window.maxBufferedBytesPerWorker'), 'window-max-buffered-bytes-per-worker');
    assert.deepEqual(envNames('kafka.topic'), ['TRACEFOLD_KAFKA_TOPIC', 'KAFKA_TOPIC']);
    assert.deepEqual(flagNames('kafka.topic'), ['kafka-topic', 'topic']);
  });

  test('no two options of one command share a flag, and no two options share an environment name', () => {
    for (const command of COMMANDS) {
      const seen = new Map<string, string>();
      for (const key of KEYS) {
        if (!optionDef(key).commands.includes(command)) continue;
        const def = optionDef(key);
        const names = [...flagNames(key), ...(def.entryFlag === undefined ? [] : [def.entryFlag])];
        if (def.type.kind === 'bool') names.push(...flagNames(key).map((n) => `no-${n}`));
        for (const name of names) {
          assert.ok(!seen.has(name), `${command}: --${name} used by ${seen.get(name)} and ${key}`);
          assert.ok(!['help', 'config'].includes(name), `${key}: --${name} is reserved`);
          seen.set(name, key);
        }
      }
    }
    const envSeen = new Map<string, string>();
    for (const key of KEYS) {
      for (const name of envNames(key)) {
        assert.ok(!envSeen.has(name), `${name} used by ${envSeen.get(name)} and ${key}`);
        envSeen.set(name, key);
      }
    }
  });

  test('the defaults the brief fixes', () => {
    assert.deepEqual(OPTIONS['kafka.topic'].default, ['zipkin']);
    assert.equal(OPTIONS['kafka.bootstrapServers'].default, '127.0.0.1:9092');
    assert.equal(OPTIONS['kafka.autoOffsetReset'].default, 'earliest');
    assert.equal(OPTIONS['es.index'].default, 'zipkin');
    assert.equal(OPTIONS['es.indexShards'].default, 5);
    assert.equal(OPTIONS['es.timeoutMs'].default, 10_000);
    assert.equal(OPTIONS['es.autocompleteTtlMs'].default, 3_600_000);
    assert.equal(OPTIONS['window.maxSpansPerTrace'].default, 10_000);
    assert.equal(OPTIONS['http.port'].default, 9412);
    assert.equal(OPTIONS['admin.port'].default, 9464);
    assert.equal(OPTIONS['backpressure.maxOutstandingBytes'].default, 256 * 2 ** 20);
  });

  test('every command has help metadata', () => {
    for (const c of COMMANDS) assert.ok(COMMAND_INFO[c].summary.length > 0);
  });
});
