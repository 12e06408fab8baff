import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { scrapeSums } from '../../../bench/servers.js';

const TEXT = [
  '# HELP tracefold_worker_heap_bytes heap',
  'tracefold_worker_heap_bytes{worker="0",kind="used"} 10',
  'tracefold_worker_heap_bytes{worker="1",kind="used"} 5',
  'tracefold_worker_heap_bytes{worker="0",kind="total"} 100',
  'tracefold_worker_heap_bytes{worker="1",kind="total"} 50',
  'tracefold_worker_heap_bytes_other{kind="used"} 1000',
  'tracefold_outstanding_bytes 7',
  'tracefold_outstanding_bytes_max 9',
  '',
].join('\n');

test('scrapeSums sums each name’s series, a name with a label only the series that carry it, in one request', async () => {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.end(TEXT);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    const sums = await scrapeSums(url, [
      'tracefold_worker_heap_bytes',
      'tracefold_worker_heap_bytes{kind="used"}',
      'tracefold_worker_heap_bytes{kind="total"}',
      'tracefold_worker_heap_bytes{kind="external"}',
      'tracefold_outstanding_bytes',
    ]);
    assert.deepEqual(sums, [165, 15, 150, 0, 7]);
    assert.equal(requests, 1);
    assert.deepEqual(await scrapeSums(url, ['tracefold_worker_heap_bytes'], 'worker="1"'), [55], 'the filter still applies to every line');
  } finally {
    server.close();
  }
  assert.equal(await scrapeSums('http://127.0.0.1:1/metrics', ['x']), undefined, 'no answer: undefined');
});
