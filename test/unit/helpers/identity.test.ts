import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Span } from '../../../core/model/span.js';
import { assertIdentity, compareIdentities, expectedIdentities, formatReport, spanIdentity } from '../../helpers/identity.js';

const span = (traceId: string, id: string, extra: Partial<Span> = {}): Span => ({ traceId, id, ...extra }) as Span;

test('a duplicate plus a missing span has the right sum but fails by identity', () => {
  const expected = expectedIdentities([[span('a', '1'), span('a', '2')]]);
  const stored = new Map([
    [spanIdentity({ traceId: 'a', id: '1' }), 2],
    [spanIdentity({ traceId: 'a', id: '2' }), 0],
  ]);
  const r = compareIdentities('dup+missing', expected, stored);
  assert.equal(r.produced, r.stored, 'the sums agree');
  assert.equal(r.missing.length, 1);
  assert.equal(r.duplicated.length, 1);
  assert.throws(() => assertIdentity(r), /every produced span stored exactly once/);
});

test('kind and shared are part of the identity; distinct reports of one identity count separately', () => {
  const expected = expectedIdentities([
    [
      span('a', '1', { kind: 'CLIENT' }),
      span('a', '1', { kind: 'SERVER', shared: true }),
      span('a', '1', { kind: 'CLIENT', name: 'late' }),
    ],
  ]);
  assert.equal(expected.get('a/1/CLIENT/false'), 2);
  assert.equal(expected.get('a/1/SERVER/true'), 1);
});

test('dead-lettered identities are expected outside the index; a stored one is extra', () => {
  const expected = expectedIdentities([[span('a', '1'), span('a', '2')]]);
  const dlq = new Set([spanIdentity({ traceId: 'a', id: '2' })]);
  const ok = compareIdentities('dlq', expected, new Map([['a/1//false', 1]]), dlq);
  assert.deepEqual([ok.produced, ok.stored, ok.deadLettered, ok.missing, ok.extra], [1, 1, 1, [], []]);
  assert.match(formatReport(ok), /produced 1, stored 1, missing 0, duplicated 0, extra 0, dead-lettered 1/);
  const leaked = compareIdentities(
    'dlq',
    expected,
    new Map([
      ['a/1//false', 1],
      ['a/2//false', 1],
    ]),
    dlq,
  );
  assert.deepEqual(leaked.extra, ['a/2//false (1)']);
});
