import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatBytes,
  formatDurationMs,
  type Parsed,
  parseBool,
  parseBoundedInt,
  parseBytes,
  parseDuration,
  parseEnum,
  parseIntList,
  parseMap,
  parseMapEntry,
  parseNumber,
  parsePosition,
  parseString,
  parseStringList,
} from '../../../../src/config/parse.js';

function value<V>(p: Parsed<V>): V {
  assert.ok(p.ok, p.ok ? '' : p.problem);
  return p.value;
}
function problem(p: Parsed<unknown>): string {
  assert.ok(!p.ok, `expected a failure, got ${JSON.stringify(p)}`);
  return p.problem;
}

describe('config value parsers', () => {
  test('int: range, underscores, and the expected form in the message', () => {
    assert.equal(value(parseBoundedInt('4', 1, 64)), 4);
    assert.equal(value(parseBoundedInt(' 200_000 ', 1, Number.MAX_SAFE_INTEGER)), 200_000);
    assert.match(problem(parseBoundedInt('65', 1, 64)), /expected an integer from 1 to 64, got "65"/);
    assert.match(problem(parseBoundedInt('1.5', 1, 64)), /integer/);
    assert.match(problem(parseBoundedInt('abc', 1, Number.MAX_SAFE_INTEGER)), /an integer at least 1, got "abc"/);
    assert.match(problem(parseBoundedInt(['1', '2'], 1, 64)), /got a list/);
  });

  test('number: decimals within bounds', () => {
    assert.equal(value(parseNumber('0.5', 0, 1)), 0.5);
    assert.equal(value(parseNumber('.25', 0, 1)), 0.25);
    assert.match(problem(parseNumber('1.5', 0, 1)), /from 0 to 1/);
    assert.match(problem(parseNumber('1e-3', 0, 1)), /number/);
  });

  test('bool: true/false and the Spring spellings, case-insensitive', () => {
    for (const t of ['true', 'TRUE', 'yes', 'on', '1']) assert.equal(value(parseBool(t)), true, t);
    for (const f of ['false', 'False', 'no', 'off', '0']) assert.equal(value(parseBool(f)), false, f);
    assert.match(problem(parseBool('maybe')), /true or false/);
  });

  test('duration: units, compound, plain milliseconds (Zipkin ES_TIMEOUT form)', () => {
    const max = Number.MAX_SAFE_INTEGER;
    assert.equal(value(parseDuration('250ms', 0, max)), 250);
    assert.equal(value(parseDuration('5s', 0, max)), 5_000);
    assert.equal(value(parseDuration('1m', 0, max)), 60_000);
    assert.equal(value(parseDuration('1h', 0, max)), 3_600_000);
    assert.equal(value(parseDuration('1d', 0, max)), 86_400_000);
    assert.equal(value(parseDuration('1m30s', 0, max)), 90_000);
    assert.equal(value(parseDuration('1.5s', 0, max)), 1_500);
    assert.equal(value(parseDuration('10000', 0, max)), 10_000);
    assert.equal(value(parseDuration('5S', 0, max)), 5_000);
    assert.match(problem(parseDuration('5 parsecs', 0, max)), /a duration at least 0ms such as 250ms, 5s/);
    assert.match(problem(parseDuration('0.5ms', 0, max)), /duration/, 'finer than a millisecond');
    assert.match(problem(parseDuration('-5s', 0, max)), /duration/);
    assert.match(problem(parseDuration('50ms', 100, max)), /at least 100ms/);
  });

  test('duration formatting is the inverse used by --help', () => {
    assert.equal(formatDurationMs(5_000), '5s');
    assert.equal(formatDurationMs(100), '100ms');
    assert.equal(formatDurationMs(3_600_000), '1h');
    assert.equal(formatDurationMs(90_000), '90s');
    for (const ms of [1, 100, 1_500, 60_000, 86_400_000])
      assert.equal(value(parseDuration(formatDurationMs(ms), 0, Number.MAX_SAFE_INTEGER)), ms);
  });

  test('bytes: binary and decimal units, plain bytes, and no ambiguous bare K/M/G', () => {
    const max = Number.MAX_SAFE_INTEGER;
    assert.equal(value(parseBytes('256MiB', 0, max)), 256 * 2 ** 20);
    assert.equal(value(parseBytes('1GB', 0, max)), 1e9);
    assert.equal(value(parseBytes('512kib', 0, max)), 512 * 1024);
    assert.equal(value(parseBytes('1.5KiB', 0, max)), 1536);
    assert.equal(value(parseBytes('4 MiB', 0, max)), 4 * 2 ** 20);
    assert.equal(value(parseBytes('1048576', 0, max)), 1_048_576);
    assert.equal(value(parseBytes('10B', 0, max)), 10);
    assert.match(problem(parseBytes('256M', 0, max)), /KiB\/MiB\/GiB for powers of 1024/);
    assert.match(problem(parseBytes('12 parsecs', 0, max)), /a size/);
    assert.match(problem(parseBytes('1KiB', 2048, max)), /at least 2KiB/);
    assert.equal(formatBytes(128 * 2 ** 20), '128MiB');
    assert.equal(formatBytes(1000), '1000');
  });

  test('string: trimmed, empty refused unless allowed, value never echoed', () => {
    assert.equal(value(parseString('  zipkin ', false)), 'zipkin');
    assert.equal(value(parseString('', true)), '');
    assert.equal(problem(parseString('', false)), 'must not be empty');
    assert.doesNotMatch(problem(parseString(['hunter2'], false)), /hunter2/);
  });

  test('enum: case-insensitive, canonical spelling returned', () => {
    assert.equal(value(parseEnum('LATEST', ['earliest', 'latest'] as const)), 'latest');
    assert.match(problem(parseEnum('newest', ['earliest', 'latest'] as const)), /one of earliest, latest, got "newest"/);
  });

  test('string list: comma text, YAML sequence or repeated flags; empty items and duplicates dropped', () => {
    assert.deepEqual(value(parseStringList('a, b,,c,', 0)), ['a', 'b', 'c']);
    assert.deepEqual(value(parseStringList(['a', 'b,c', 'a'], 0)), ['a', 'b', 'c']);
    assert.deepEqual(value(parseStringList('', 0)), []);
    assert.match(problem(parseStringList('', 1)), /at least 1 item/);
    assert.match(problem(parseStringList({ a: 'b' }, 0)), /expected a list/);
  });

  test('int list: items in range, duplicates dropped', () => {
    assert.deepEqual(value(parseIntList('0,2,2,5', 0, 0, 100)), [0, 2, 5]);
    assert.match(problem(parseIntList('0,x', 0, 0, 100)), /got item "x"/);
    assert.match(problem(parseIntList('-1', 0, 0, 100)), /integers at least 0|from 0 to 100/);
  });

  test('string map: k=v pairs, YAML mapping, values may contain "="', () => {
    assert.deepEqual(value(parseMap('a=1, b = 2,c=x=y')), { a: '1', b: '2', c: 'x=y' });
    assert.deepEqual(value(parseMap({ 'fetch.min.bytes': '1' })), { 'fetch.min.bytes': '1' });
    assert.deepEqual(value(parseMap(['a=1', 'b=2'])), { a: '1', b: '2' });
    assert.deepEqual(value(parseMap('')), {});
    assert.match(problem(parseMap('a=1,b')), /key=value pairs .* got item "b"/);
    assert.match(problem(parseMap('=1')), /key=value/);
  });

  test('map entry (repeatable flag): commas stay in the value', () => {
    assert.deepEqual(value(parseMapEntry('sasl.kerberos.kinit.cmd=kinit -R,-t x')), ['sasl.kerberos.kinit.cmd', 'kinit -R,-t x']);
    assert.match(problem(parseMapEntry('novalue')), /key=value/);
  });

  test('position: offset, ISO-8601 with zone, keyword; zoneless times refused', () => {
    assert.deepEqual(value(parsePosition('42', 'earliest')), { kind: 'offset', offset: 42 });
    assert.deepEqual(value(parsePosition('Earliest', 'earliest')), { kind: 'earliest' });
    assert.deepEqual(value(parsePosition('latest', 'latest')), { kind: 'latest' });
    assert.deepEqual(value(parsePosition('2024-05-01T12:00:00Z', 'latest')), { kind: 'time', timestampMs: Date.UTC(2024, 4, 1, 12) });
    assert.deepEqual(value(parsePosition('2024-05-01T14:00:00+0200', 'latest')), { kind: 'time', timestampMs: Date.UTC(2024, 4, 1, 12) });
    assert.deepEqual(value(parsePosition('2024-05-01', 'latest')), { kind: 'time', timestampMs: Date.UTC(2024, 4, 1) });
    assert.match(problem(parsePosition('2024-05-01T12:00:00', 'latest')), /with a zone/);
    assert.match(problem(parsePosition('latest', 'earliest')), /or earliest, got "latest"/);
    assert.match(problem(parsePosition('-1', 'earliest')), /offset/);
  });
});
