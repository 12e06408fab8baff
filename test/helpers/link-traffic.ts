/**
 * Random traces shaped to exercise every rule of Zipkin's dependency linker: RPC split into client
 * and shared server spans (with and without the shared flag), child-id servers, local spans in
 * between, uninstrumented leaf clients, kind-less remote spans, messaging through a broker, self
 * calls, missing service names, errors on either side, spans reported in two pieces, headless
 * fragments. Deterministic for a seed.
 */
import type { Kind, Span } from '../../core/model/span.js';
import type { Prng } from './prng.js';

const SERVICES = ['frontend', 'cart', 'pay', 'stock', 'auth'];
const REMOTES = ['mysql', 'redis', 'kafka', 'cart', 'pay'];

export function linkTestTrace(prng: Prng, startMicros: number): Span[] {
  const traceId = prng.hex(prng.chance(0.5) ? 32 : 16);
  const spans: Span[] = [];
  let clock = startMicros;
  const tick = (): number => {
    clock += prng.range(1, 500);
    return clock;
  };
  const name = (p: number, pool: readonly string[] = SERVICES): string | undefined => (prng.chance(p) ? prng.pick(pool) : undefined);
  const span = (fields: Partial<Span> & { id: string }, service: string | undefined, remote?: string): Span => {
    const s: Span = { traceId, name: 'op', timestamp: tick(), duration: prng.range(1, 1000), ...fields };
    if (service !== undefined) s.localEndpoint = { serviceName: service };
    if (remote !== undefined) s.remoteEndpoint = { serviceName: remote };
    if (prng.chance(0.15)) s.tags = { error: prng.chance(0.5) ? '' : 'boom' };
    spans.push(s);
    return s;
  };

  const grow = (parent: Span, service: string | undefined, depth: number): void => {
    const n = depth > 3 ? 0 : prng.range(0, 3);
    for (let i = 0; i < n; i++) {
      const id = prng.hex(16);
      const roll = prng.int(7);
      if (roll === 0) {
        // local span on the same service
        grow(span({ id, parentId: parent.id }, service), service, depth + 1);
      } else if (roll <= 2) {
        // RPC: client span, then the server either shares the id or is its child
        const callee = prng.chance(0.15) ? service : name(0.9);
        const client = span({ id, parentId: parent.id, kind: 'CLIENT' }, prng.chance(0.9) ? service : name(0.5), name(0.3, REMOTES));
        if (prng.chance(0.8)) {
          const sharedId = prng.chance(0.6);
          const server: Partial<Span> & { id: string } = sharedId
            ? { id, kind: 'SERVER' }
            : { id: prng.hex(16), parentId: client.id, kind: 'SERVER' };
          if (sharedId && prng.chance(0.8)) server.shared = true;
          if (sharedId && prng.chance(0.7)) server.parentId = parent.id;
          const s = span(server, callee, name(0.2));
          if (sharedId && prng.chance(0.1)) s.localEndpoint = { ...s.localEndpoint, ipv4: `10.0.0.${prng.range(1, 3)}` };
          grow(s, callee, depth + 1);
        }
      } else if (roll === 3) {
        // uninstrumented leaf, or a remote span without kind
        const kind: Kind | undefined = prng.chance(0.6) ? 'CLIENT' : undefined;
        span({ id, parentId: parent.id, ...(kind ? { kind } : {}) }, prng.chance(0.85) ? service : undefined, name(0.85, REMOTES));
      } else if (roll === 4) {
        // messaging through a broker
        const producer = span({ id, parentId: parent.id, kind: 'PRODUCER' }, service, name(0.8, ['kafka', 'rabbit']));
        if (prng.chance(0.8)) {
          const consumer = span({ id: prng.hex(16), parentId: producer.id, kind: 'CONSUMER' }, name(0.9), name(0.8, ['kafka', 'rabbit']));
          grow(consumer, consumer.localEndpoint?.serviceName, depth + 1);
        }
      } else if (roll === 5) {
        // a client reported in two pieces (kind and remote in one, the error in the other)
        const remote = name(0.8, REMOTES);
        span({ id, parentId: parent.id, kind: 'CLIENT' }, service, remote);
        const piece: Span = { traceId, id, parentId: parent.id, annotations: [{ timestamp: tick(), value: 'ws' }] };
        if (service !== undefined) piece.localEndpoint = { serviceName: service };
        if (prng.chance(0.5)) piece.tags = { error: 'late' };
        spans.push(piece);
      } else {
        // a server span naming its caller, as a root-like child
        grow(span({ id, parentId: parent.id, kind: 'SERVER' }, name(0.9), name(0.5)), service, depth + 1);
      }
    }
  };

  const rootService = name(0.95);
  const rootKind = prng.pick<Kind | undefined>(['SERVER', 'SERVER', 'SERVER', 'CONSUMER', 'CLIENT', undefined]);
  const rootId = prng.hex(16);
  const root = span({ id: rootId, ...(rootKind ? { kind: rootKind } : {}) }, rootService, name(0.4, ['browser', 'kafka']));
  if (prng.chance(0.1)) root.parentId = prng.hex(16); // headless: the real root was never reported
  grow(root, rootService, 0);
  return prng.shuffle(spans);
}
