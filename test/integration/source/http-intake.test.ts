/** HTTP intake against real servers: bodies in several encodings (and gzip) are stored; bad ones get 4xx. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ENCODERS } from '../../../core/codec/formats.js';
import { createPrng } from '../../helpers/prng.js';
import { deleteIndices, storedSpanKeys } from '../../helpers/search.js';
import { KAFKA, requireSearchEngine, uniqueName } from '../../helpers/servers.js';
import { searchEnv, startTracefold, waitFor } from '../../helpers/tracefold.js';
import { copyTrace, sharedTraces } from '../../helpers/traffic.js';

const PORT = 19412;

test('POST /api/v2/spans and /api/v1/spans store spans; bad bodies get 400/413/405', { timeout: 180_000 }, async () => {
  await requireSearchEngine();
  const index = uniqueName('tfhttp');
  const tf = startTracefold(
    [
      'ingest',
      '--workers',
      '2',
      '--admin-port',
      '0',
      '--window-quiet-ms',
      '200ms',
      '--http-enabled',
      '--http-port',
      String(PORT),
      '--http-max-body-bytes',
      '1MiB',
    ],
    {
      KAFKA_BOOTSTRAP_SERVERS: KAFKA,
      KAFKA_TOPIC: uniqueName('tf-http-unused'),
      KAFKA_GROUP_ID: uniqueName('g'),
      ...searchEnv(index),
    },
    index,
  );
  const url = `http://127.0.0.1:${PORT}`;
  try {
    await waitFor(
      'the HTTP intake to listen',
      async () =>
        fetch(`${url}/api/v2/spans`, { method: 'GET' }).then(
          () => true,
          () => false,
        ),
      60_000,
      250,
    );
    const prng = createPrng(5);
    const base = sharedTraces();
    const sent = [
      { path: '/api/v2/spans', spans: copyTrace(base[0]?.spans ?? [], prng), format: 'json-v2' as const, gzip: false },
      { path: '/api/v2/spans', spans: copyTrace(base[1]?.spans ?? [], prng), format: 'proto3' as const, gzip: true },
      { path: '/api/v1/spans', spans: copyTrace(base[2]?.spans ?? [], prng), format: 'thrift' as const, gzip: false },
      { path: '/api/v1/spans', spans: copyTrace(base[3]?.spans ?? [], prng), format: 'json-v1' as const, gzip: true },
    ];
    for (const s of sent) {
      const raw = Buffer.from(ENCODERS[s.format](s.spans));
      const res = await fetch(`${url}${s.path}`, {
        method: 'POST',
        body: s.gzip ? gzipSync(raw) : raw,
        headers: s.gzip ? { 'content-encoding': 'gzip' } : {},
      });
      assert.equal(res.status, 202, `${s.format} body accepted`);
    }
    const garbage = await fetch(`${url}/api/v2/spans`, { method: 'POST', body: 'not spans' });
    assert.equal(garbage.status, 400);
    assert.match(await garbage.text(), /no span could be decoded/);
    const huge = await fetch(`${url}/api/v2/spans`, { method: 'POST', body: Buffer.alloc(2 * 1024 * 1024, 0x5b) });
    assert.equal(huge.status, 413);
    assert.equal((await fetch(`${url}/api/v2/spans`)).status, 405);
    assert.equal((await fetch(`${url}/nope`, { method: 'POST', body: '[]' })).status, 404);

    const traceIds = new Set(sent.map((s) => s.spans[0]?.traceId));
    await waitFor(
      'the posted traces to be stored',
      async () => {
        const stored = await storedSpanKeys(`${index}-span-*`);
        const ids = new Set([...stored.keys()].map((k) => k.split('/')[0]));
        return [...traceIds].every((id) => ids.has(id));
      },
      60_000,
    );
    tf.child.kill('SIGTERM');
    assert.equal(await tf.exited, 0);
  } finally {
    tf.child.kill('SIGKILL');
    await deleteIndices(`${index}-*`);
  }
});
