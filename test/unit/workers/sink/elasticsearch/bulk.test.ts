import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { createSearchClient } from '../../../../../core/elasticsearch/client.js';
import { backoffCeiling, backoffMs } from '../../../../../workers/sink/backoff.js';
import { BULK_FILTER_PATH, type BulkSettings, BulkWriter } from '../../../../../workers/sink/elasticsearch/bulk.js';
import { classifyItemStatus } from '../../../../../workers/sink/elasticsearch/retry.js';
import type { Clock, SinkEntry, SinkEvents } from '../../../../../workers/sink/sink.js';
import { until } from '../../../../helpers/wait.js';

/** What the fake engine saw in one `_bulk` request. */
interface SeenRequest {
  n: number;
  ids: string[];
  body: string;
  query: URLSearchParams;
  contentType: string | undefined;
}

type Reply = { status: number; body: unknown } | { raw: string; contentType: string; status?: number } | 'reset' | { hold: Promise<Reply> };

type Handler = (req: SeenRequest) => Reply;

function itemsReply(statuses: number[], error?: (i: number) => { type: string; reason: string }): Reply {
  const errors = statuses.some((s) => s < 200 || s >= 300);
  return {
    status: 200,
    body: { errors, items: statuses.map((status, i) => ({ index: status >= 300 && error ? { status, error: error(i) } : { status } })) },
  };
}

const ok = (req: SeenRequest): Reply => ({ status: 200, body: { errors: false, items: req.ids.map(() => ({ index: { status: 201 } })) } });

/** An in-process `_bulk` endpoint whose answers each test scripts. */
class FakeBulkServer {
  readonly seen: SeenRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  handler: Handler = ok;
  readonly #server: Server = createServer((req, res) => {
    void this.#handle(req, res);
  });

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url ?? '/', 'http://x');
    const lines = body.split('\n');
    const ids: string[] = [];
    for (let i = 0; i + 1 < lines.length; i += 2) ids.push((JSON.parse(lines[i] as string) as { index: { _id: string } }).index._id);
    const seen: SeenRequest = { n: this.seen.length, ids, body, query: url.searchParams, contentType: req.headers['content-type'] };
    this.seen.push(seen);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let reply = this.handler(seen);
    while (typeof reply === 'object' && 'hold' in reply) reply = await reply.hold;
    this.inFlight--;
    if (reply === 'reset') {
      req.socket.destroy();
      return;
    }
    if ('raw' in reply) {
      res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType });
      res.end(reply.raw);
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  }

  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/**
 * Virtual time: `now()` only moves when a timer fires (to that timer's due time), and every timer
 * fires after ~1 real ms. Tests run fast, and each requested delay is recorded exactly.
 */
class VirtualClock implements Clock {
  readonly delays: number[] = [];
  #now = Date.now();
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.delays.push(ms);
    const due = this.#now + ms;
    return setTimeout(() => {
      this.#now = Math.max(this.#now, due);
      fn();
    }, 1);
  }
  clearTimeout(handle: unknown): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  }
}

interface Recorder<R> extends SinkEvents<R> {
  resolved: Map<number, number>;
  resolveCalls: number;
  deadLetters: { id: string; code: string; reason: string }[];
  dropped: { id: string; code: string }[];
  latencies: number[];
  retries: Map<string, number>;
}

function recorder(): Recorder<string> {
  const r: Recorder<string> = {
    resolved: new Map(),
    resolveCalls: 0,
    deadLetters: [],
    dropped: [],
    latencies: [],
    retries: new Map(),
    onResolved(batchIds, counts) {
      r.resolveCalls++;
      batchIds.forEach((b, i) => {
        r.resolved.set(b, (r.resolved.get(b) ?? 0) + (counts[i] ?? 0));
      });
    },
    onDeadLetter(entry, code, reason) {
      r.deadLetters.push({ id: entry.ref, code, reason });
    },
    onDropped(entry, code) {
      r.dropped.push({ id: entry.ref, code });
    },
    onLatency(s) {
      r.latencies.push(s);
    },
    onRetry(code, n) {
      r.retries.set(code, (r.retries.get(code) ?? 0) + n);
    },
  };
  return r;
}

function entry(id: string, batchId = 1, units = 1, pad = 0): SinkEntry<string> {
  return { lines: `{"index":{"_index":"t","_id":"${id}"}}\n{"v":"${id}${'x'.repeat(pad)}"}\n`, batchId, units, ref: id };
}

const SETTINGS: BulkSettings = {
  bulkMaxBytes: 1_000_000,
  bulkMaxInFlight: 2,
  refresh: false,
  retry: { initialMs: 100, maxMs: 1000, maxAttempts: 5 },
  timeoutMs: 5000,
};

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(settings: Partial<BulkSettings> = {}, random: () => number = Math.random) {
  const server = new FakeBulkServer();
  const url = await server.start();
  const client = createSearchClient({ hosts: [url], timeoutMs: 5000, maxRetries: 0 });
  const events = recorder();
  const clock = new VirtualClock();
  const writer = new BulkWriter(client, { ...SETTINGS, ...settings }, events, { clock, random });
  cleanup.push(async () => {
    await writer.close();
    await client.close();
    await server.stop();
  });
  return { server, writer, events, clock };
}

describe('BulkWriter: requests', () => {
  it('sends multi-byte text as UTF-8, every byte in place, whatever the mix of entries', async () => {
    const { server, writer } = await setup();
    // 2-, 3- and 4-byte UTF-8 between ASCII entries: a body sized or written in UTF-16 units would
    // be cut short or shifted.
    const entries = [entry('a'), entry('é-中-😂'), entry('b'), entry('ü'.repeat(50))];
    for (const e of entries) writer.write(e);
    await writer.drain();
    assert.equal(server.seen.length, 1);
    assert.equal(server.seen[0]?.body, entries.map((e) => e.lines).join(''));
  });

  it('sends one POST /_bulk with the exact body, ndjson content type and filter_path, and resolves per batch', async () => {
    const { server, writer, events } = await setup({ pipeline: 'zipkin-pipe', refresh: true });
    const entries = [entry('a', 1), entry('b', 1), entry('c', 2, 3), entry('d', 2, 0)];
    for (const e of entries) writer.write(e);
    await writer.drain();
    assert.equal(server.seen.length, 1);
    const [req] = server.seen;
    assert.equal(req?.body, entries.map((e) => e.lines).join(''));
    assert.equal(req?.contentType, 'application/x-ndjson');
    assert.equal(req?.query.get('filter_path'), BULK_FILTER_PATH);
    assert.equal(req?.query.get('pipeline'), 'zipkin-pipe');
    assert.equal(req?.query.get('refresh'), 'wait_for');
    assert.deepEqual(
      [...events.resolved],
      [
        [1, 2],
        [2, 3],
      ],
    );
    assert.equal(events.resolveCalls, 1);
    assert.equal(events.latencies.length, 1);
    assert.equal(writer.pendingEntries, 0);
    assert.equal(writer.failingSince, null);
  });

  it('packs bodies up to bulkMaxBytes and sends an oversized entry alone', async () => {
    const one = Buffer.byteLength(entry('a0').lines);
    const { server, writer } = await setup({ bulkMaxBytes: one * 3, bulkMaxInFlight: 1 });
    for (let i = 0; i < 7; i++) writer.write(entry(`a${i}`));
    writer.write(entry('big', 1, 1, one * 4));
    writer.write(entry('a7'));
    await writer.drain();
    assert.deepEqual(
      server.seen.map((r) => r.ids),
      [['a0', 'a1', 'a2'], ['a3', 'a4', 'a5'], ['a6'], ['big'], ['a7']],
    );
    for (const r of server.seen) assert.ok(Buffer.byteLength(r.body) <= one * 3 || r.ids.length === 1);
  });

  it('keeps at most bulkMaxInFlight requests in flight and exposes the queue meanwhile', async () => {
    const { server, writer } = await setup({ bulkMaxBytes: 1, bulkMaxInFlight: 2 });
    let release: () => void = () => {};
    const gate = new Promise<Reply>((resolve) => {
      release = () => resolve({ status: 200, body: { errors: false } });
    });
    server.handler = (req) => (req.n < 2 ? { hold: gate } : ok(req));
    for (let i = 0; i < 10; i++) writer.write(entry(`e${i}`));
    await until('two requests held at the server', () => server.seen.length >= 2);
    assert.equal(writer.inFlight, 2);
    assert.equal(writer.queuedEntries, 8);
    assert.equal(writer.queuedBytes, 8 * Buffer.byteLength(entry('e0').lines));
    assert.equal(writer.pendingEntries, 10);
    release();
    await writer.drain();
    assert.equal(server.maxInFlight, 2);
    assert.equal(server.seen.length, 10);
    assert.equal(writer.queuedEntries, 0);
    assert.equal(writer.queuedBytes, 0);
  });
});

describe('BulkWriter: adaptive in-flight limit (bulkAdaptive)', () => {
  it('starts with one request in flight, grows to bulkMaxInFlight while answers are good, halves on a 429', async () => {
    const { server, writer } = await setup({ bulkMaxBytes: 1, bulkMaxInFlight: 4, bulkAdaptive: true }, () => 0.5);
    const arrivals: number[] = [];
    server.handler = (req) => {
      arrivals.push(server.inFlight);
      return ok(req);
    };
    assert.equal(writer.maxInFlight, 1);
    for (let i = 0; i < 40; i++) writer.write(entry(`e${i}`));
    await writer.drain();
    assert.equal(arrivals[0], 1, 'the first request goes alone');
    assert.ok(Math.max(...arrivals) <= 4);
    assert.equal(writer.maxInFlight, 4);
    // The engine's queues fill: an item comes back 429 (retried), the limit halves.
    let throttle = true;
    server.handler = (req) => {
      if (throttle) {
        throttle = false;
        return itemsReply([429], () => ({ type: 'es_rejected_execution_exception', reason: 'queue full' }));
      }
      return ok(req);
    };
    writer.write(entry('t0'));
    // The handler runs before the writer reads the answer: wait for the writer, not the server.
    await until('the 429 read by the writer', () => writer.maxInFlight < 4);
    assert.equal(throttle, false);
    assert.equal(writer.maxInFlight, 2);
    await writer.drain();
    assert.equal(server.seen.at(-1)?.ids[0], 't0', 'the throttled item was sent again');
  });

  it('without bulkAdaptive the limit is bulkMaxInFlight from the start', async () => {
    const { writer } = await setup({ bulkMaxInFlight: 3 });
    assert.equal(writer.maxInFlight, 3);
  });
});

describe('BulkWriter: per-item outcomes', () => {
  it('resolves 2xx, retries only the 429/503 items, dead-letters other 4xx with the engine error', async () => {
    const { server, writer, events } = await setup({}, () => 0.5);
    server.handler = (req) =>
      req.n === 0
        ? itemsReply([201, 429, 400, 503, 200], (i) =>
            i === 2
              ? { type: 'mapper_parsing_exception', reason: 'failed to parse field [duration]' }
              : { type: 'es_rejected_execution_exception', reason: 'queue full' },
          )
        : ok(req);
    ['a', 'b', 'c', 'd', 'e'].forEach((id, i) => {
      writer.write(entry(id, i));
    });
    await writer.drain();
    assert.deepEqual(
      server.seen.map((r) => r.ids),
      [
        ['a', 'b', 'c', 'd', 'e'],
        ['b', 'd'],
      ],
    );
    assert.deepEqual(events.deadLetters, [
      { id: 'c', code: 'mapper_parsing_exception', reason: 'HTTP 400 mapper_parsing_exception: failed to parse field [duration]' },
    ]);
    assert.deepEqual([...events.resolved.keys()].sort(), [0, 1, 3, 4]);
    assert.deepEqual(
      [...events.retries],
      [
        ['http_429', 1],
        ['http_503', 1],
      ],
    );
  });

  it('dead-letters an item as retries_exhausted after maxAttempts, and never sends it again', async () => {
    const { server, writer, events } = await setup({ retry: { initialMs: 10, maxMs: 50, maxAttempts: 3 } });
    server.handler = (req) => itemsReply(req.ids.map((id) => (id === 'hot' ? 429 : 201)));
    writer.write(entry('hot'));
    writer.write(entry('cold'));
    await writer.drain();
    assert.equal(server.seen.filter((r) => r.ids.includes('hot')).length, 3);
    assert.deepEqual(
      events.deadLetters.map((d) => [d.id, d.code]),
      [['hot', 'retries_exhausted']],
    );
    assert.match(events.deadLetters[0]?.reason ?? '', /HTTP 429 .*after 3 attempts/);
    assert.equal(events.resolved.get(1), 1);
  });

  it('drops (not dead-letters) rejected entries without units, e.g. autocomplete documents', async () => {
    const { server, writer, events } = await setup();
    server.handler = () => itemsReply([400], () => ({ type: 'illegal_argument_exception', reason: 'nope' }));
    writer.write(entry('ac', 7, 0));
    await writer.drain();
    assert.deepEqual(events.dropped, [{ id: 'ac', code: 'illegal_argument_exception' }]);
    assert.deepEqual(events.deadLetters, []);
  });

  it('waits a capped, fully jittered backoff per attempt', async () => {
    const initialMs = 100;
    const maxMs = 350;
    const sources: [string, () => number][] = [
      ['min', () => 0],
      ['max', () => 0.999999],
      ['random', Math.random],
    ];
    for (const [kind, random] of sources) {
      const { server, writer, clock } = await setup({ retry: { initialMs, maxMs, maxAttempts: 0 } }, random);
      server.handler = (req) => (req.n < 5 ? itemsReply([429]) : ok(req));
      writer.write(entry('x'));
      await writer.drain();
      assert.equal(clock.delays.length, 5);
      clock.delays.forEach((d, i) => {
        const ceiling = Math.min(maxMs, initialMs * 2 ** i);
        assert.ok(d >= 0 && d < ceiling, `attempt ${i + 1}: ${d} not in [0, ${ceiling})`);
        if (kind === 'min') assert.equal(d, 0);
        if (kind === 'max') assert.equal(d, ceiling - 1);
      });
    }
  });

  it('retries an item with no status in the answer', async () => {
    const { server, writer, events } = await setup();
    server.handler = (req) => (req.n === 0 ? { status: 200, body: { errors: true, items: [{ index: {} }] } } : ok(req));
    writer.write(entry('a'));
    await writer.drain();
    assert.equal(server.seen.length, 2);
    assert.equal(events.resolved.get(1), 1);
  });
});

describe('BulkWriter: whole-request failures', () => {
  it('re-sends the same body after 503s without consuming item attempts, and reports failingSince', async () => {
    const { server, writer, events } = await setup({ retry: { initialMs: 10, maxMs: 20, maxAttempts: 1 } });
    let failingSeen: number | null = null;
    server.handler = (req) => {
      if (req.n < 5)
        return {
          status: 503,
          body: { error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' }, status: 503 },
        };
      failingSeen = writer.failingSince;
      return ok(req);
    };
    writer.write(entry('a'));
    writer.write(entry('b'));
    await writer.drain();
    assert.equal(server.seen.length, 6);
    assert.ok(server.seen.every((r) => r.body === server.seen[0]?.body));
    assert.deepEqual(events.deadLetters, []);
    assert.equal(events.resolved.get(1), 2);
    assert.notEqual(failingSeen, null);
    assert.equal(writer.failingSince, null);
    assert.equal(events.retries.get('http_503'), 10);
  });

  it('survives connection resets and unparsable answers', async () => {
    const { server, writer, events } = await setup({ retry: { initialMs: 5, maxMs: 10, maxAttempts: 2 } });
    server.handler = (req) => {
      if (req.n === 0) return 'reset';
      if (req.n === 1) return { raw: '<html>bad gateway</html>', contentType: 'text/html' };
      if (req.n === 2) return { raw: '{"errors":', contentType: 'application/json' };
      if (req.n === 3) return { status: 200, body: { errors: true, items: [] } };
      return ok(req);
    };
    writer.write(entry('a'));
    await writer.drain();
    assert.equal(server.seen.length, 5);
    assert.equal(events.resolved.get(1), 1);
    assert.deepEqual(events.deadLetters, []);
    assert.ok((events.retries.get('connection') ?? 0) >= 1);
    assert.ok((events.retries.get('bad_response') ?? 0) >= 2);
  });

  it('keeps retrying while the engine is unreachable', async () => {
    const { server, writer, events } = await setup({ retry: { initialMs: 5, maxMs: 10, maxAttempts: 1 } });
    server.handler = (req) => (req.n < 8 ? 'reset' : ok(req));
    writer.write(entry('a'));
    await writer.drain();
    assert.equal(server.seen.length, 9);
    assert.equal(events.resolved.get(1), 1);
  });

  it('recovers when a refused connection (engine down) starts being accepted', async () => {
    const down = new FakeBulkServer();
    const url = await down.start();
    const port = Number(new URL(url).port);
    await down.stop();
    const client = createSearchClient({ hosts: [url], timeoutMs: 5000, maxRetries: 0 });
    const events = recorder();
    const writer = new BulkWriter(client, { ...SETTINGS, retry: { initialMs: 5, maxMs: 20, maxAttempts: 1 } }, events, {
      clock: new VirtualClock(),
    });
    const up = new FakeBulkServer();
    cleanup.push(async () => {
      await writer.close();
      await client.close();
      await up.stop();
    });
    writer.write(entry('a'));
    await until('two failed connection attempts', () => writer.failingSince !== null && (events.retries.get('connection') ?? 0) >= 2);
    assert.notEqual(writer.failingSince, null);
    assert.ok((events.retries.get('connection') ?? 0) >= 2);
    await up.start(port);
    await writer.drain();
    assert.equal(events.resolved.get(1), 1);
    assert.equal(writer.failingSince, null);
  });

  it('splits a request the engine refuses as a whole (4xx) until the culprit stands alone', async () => {
    const { server, writer, events } = await setup();
    server.handler = (req) =>
      req.ids.includes('poison') ? { status: 413, body: { error: { type: 'too_large', reason: 'body too large' }, status: 413 } } : ok(req);
    const ids = ['a', 'b', 'c', 'poison', 'e', 'f', 'g', 'h'];
    for (const id of ids) writer.write(entry(id));
    await writer.drain();
    assert.deepEqual(
      events.deadLetters.map((d) => [d.id, d.code]),
      [['poison', 'http_413']],
    );
    assert.equal(events.resolved.get(1), 7);
    assert.ok(server.seen.length <= 1 + 2 * Math.ceil(Math.log2(ids.length)) + 2, `${server.seen.length} requests`);
  });
});

describe('BulkWriter: lifecycle', () => {
  it('drain() waits for retries in progress, close() stops everything', async () => {
    const { server, writer } = await setup({ retry: { initialMs: 30, maxMs: 30, maxAttempts: 0 } });
    let drained = false;
    // Whether drain() had settled when each request arrived: every retry follows a 429 answered
    // while the entry was still pending, so none may see it settled. (Read in the handler, not by
    // polling between requests: a loaded machine once let all four pass between two polls.)
    const drainedAtRequest: boolean[] = [];
    server.handler = (req) => {
      drainedAtRequest.push(drained);
      return req.n < 3 ? itemsReply([429]) : ok(req);
    };
    writer.write(entry('a'));
    const d = writer.drain().then(() => {
      drained = true;
    });
    await d;
    assert.deepEqual(drainedAtRequest, [false, false, false, false]);
    assert.equal(server.seen.length, 4);
    await writer.close();
    assert.throws(() => writer.write(entry('b')), /after close/);
    await writer.drain();
  });

  it('rejects nonsensical settings', async () => {
    const client = createSearchClient({ hosts: ['http://127.0.0.1:1'], timeoutMs: 10 });
    assert.throws(() => new BulkWriter(client, { ...SETTINGS, bulkMaxInFlight: 0 }, recorder()), /bulkMaxInFlight/);
    await client.close();
  });
});

describe('retry table and backoff', () => {
  it('classifies item statuses like Vector: 429/5xx retry, other 4xx reject', () => {
    assert.deepEqual(
      [200, 201, 408, 429, 500, 502, 503, 504, 501, 400, 404, 409, 413].map((s) => [s, classifyItemStatus(s)]),
      [
        [200, 'resolve'],
        [201, 'resolve'],
        [408, 'retry'],
        [429, 'retry'],
        [500, 'retry'],
        [502, 'retry'],
        [503, 'retry'],
        [504, 'retry'],
        [501, 'reject'],
        [400, 'reject'],
        [404, 'reject'],
        [409, 'reject'],
        [413, 'reject'],
      ],
    );
  });

  it('caps the exponential ceiling and jitters below it', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 60].map((a) => backoffCeiling(a, 100, 1000)),
      [100, 200, 400, 800, 1000, 1000],
    );
    for (let a = 1; a < 12; a++) {
      for (let i = 0; i < 200; i++) {
        const d = backoffMs(a, 100, 1000, Math.random);
        assert.ok(d >= 0 && d < backoffCeiling(a, 100, 1000));
      }
    }
  });
});
