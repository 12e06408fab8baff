import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { formatPrettyLine, prettyStream } from '../../../../src/telemetry/pretty.js';

describe('--log-pretty', () => {
  test('a pino logger on the pretty stream writes one human-readable line per record, not JSON', () => {
    const lines: string[] = [];
    const log = pino({ name: 'tracefold', level: 'debug', base: { pid: 7 } }, prettyStream({ write: (s: string) => lines.push(s) }));
    log.warn({ worker: 2, reason: 'too slow' }, 'writes have been failing');
    log.debug('quiet');
    log.trace('not logged');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^\d{2}:\d{2}:\d{2}\.\d{3} WARN {2}writes have been failing worker=2 reason="too slow"\n$/);
    assert.match(lines[1]!, /^\d{2}:\d{2}:\d{2}\.\d{3} DEBUG quiet\n$/);
    for (const line of lines) assert.throws(() => JSON.parse(line));
  });

  test('objects are shown as JSON, errors with their stack on the following lines', () => {
    const line = formatPrettyLine(
      JSON.stringify({
        level: 50,
        time: Date.UTC(2024, 0, 1, 12, 0, 1, 234),
        msg: 'boom',
        ranges: ['0:[1,2)'],
        err: { message: 'x', stack: 'Error: x\n    at f' },
      }),
    );
    assert.equal(line, '12:00:01.234 ERROR boom ranges=["0:[1,2)"] err="x"\nError: x\n    at f\n');
  });

  test('a line that is not JSON passes through', () => {
    assert.equal(formatPrettyLine('plain text'), 'plain text\n');
  });
});
