/** The shipper's metrics, on a registry of its own (the ingest catalogue describes a different process). */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export class ShipMetrics {
  readonly registry = new Registry();
  readonly linesRead = new Counter({
    name: 'tracefold_ship_lines_read_total',
    help: 'Complete lines read from span log files',
    registers: [this.registry],
  });
  readonly bytesRead = new Counter({
    name: 'tracefold_ship_bytes_read_total',
    help: 'Bytes of complete lines read from span log files',
    registers: [this.registry],
  });
  readonly spansShipped = new Counter({
    name: 'tracefold_ship_spans_shipped_total',
    help: 'Spans Kafka acknowledged',
    registers: [this.registry],
  });
  readonly messagesShipped = new Counter({
    name: 'tracefold_ship_messages_total',
    help: 'Trace-keyed messages Kafka acknowledged',
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'tracefold_ship_dead_letters_total',
    help: 'Lines sent to the dead-letter topic, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly sendRetries = new Counter({
    name: 'tracefold_ship_send_retries_total',
    help: 'Messages whose delivery failed and was retried',
    registers: [this.registry],
  });
  readonly truncations = new Counter({
    name: 'tracefold_ship_truncations_total',
    help: 'Files seen truncated (copy-truncate rotation) and read again from the start',
    registers: [this.registry],
  });
  readonly bytesBehind = new Gauge({
    name: 'tracefold_ship_bytes_behind',
    help: 'File size minus the position Kafka acknowledged, per file',
    labelNames: ['path'],
    registers: [this.registry],
  });
  readonly inFlightBytes = new Gauge({
    name: 'tracefold_ship_in_flight_bytes',
    help: 'Bytes read and not yet acknowledged by Kafka (bounded by ship.maxInFlightBytes)',
    registers: [this.registry],
  });
  readonly backpressured = new Gauge({
    name: 'tracefold_ship_backpressured',
    help: '1 while reading is paused because Kafka has not acknowledged enough of what was read',
    registers: [this.registry],
  });
  readonly files = new Gauge({
    name: 'tracefold_ship_files',
    help: 'Files followed',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tracefold_ship_' });
  }
}
