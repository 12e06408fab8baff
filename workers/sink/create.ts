/** Picks the sink named by `SinkSettings.kind`; the rest of the pipeline only sees `Sink`. */

import { createSearchClient } from '../../core/elasticsearch/client.js';
import type { SinkSettings } from '../protocol.js';
import { BulkWriter } from './elasticsearch/bulk.js';
import { FileSink } from './file.js';
import { NullSink } from './null.js';
import type { Clock, Sink, SinkEvents } from './sink.js';

export interface CreateSinkOptions {
  clock?: Clock;
  random?: () => number;
}

export function createSink<R>(settings: SinkSettings, events: SinkEvents<R>, options: CreateSinkOptions = {}): Sink<R> {
  switch (settings.kind) {
    case 'null':
      return new NullSink(events);
    case 'file':
      return new FileSink(settings, events, options);
    case 'elasticsearch': {
      const client = createSearchClient({
        hosts: settings.hosts,
        timeoutMs: settings.timeoutMs,
        ...(settings.username !== undefined ? { username: settings.username } : {}),
        ...(settings.password !== undefined ? { password: settings.password } : {}),
        ...(settings.apiKey !== undefined ? { apiKey: settings.apiKey } : {}),
        ...(settings.tls !== undefined ? { tls: settings.tls } : {}),
      });
      return new BulkWriter(client, settings, events, { ...options, closeClient: true });
    }
  }
}
