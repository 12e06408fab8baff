import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultText, HELP_WIDTH, helpFor, wrap } from '../../../../src/config/help.js';
import { COMMANDS, envNames, flagNames, KEYS, optionDef } from '../../../../src/config/schema.js';

describe('--help', () => {
  for (const command of COMMANDS) {
    test(`${command}: lists every option of the command (flag, env names, file key) and no other`, () => {
      const text = helpFor(command);
      assert.ok(text.startsWith(`Usage: tracefold ${command} `), text.slice(0, 80));
      assert.match(text, /--config <file>/);
      assert.match(text, /-h, --help/);
      for (const key of KEYS) {
        const listed = text.includes(`file: ${key}\n`) || text.includes(`file: ${key} `);
        if (!optionDef(key).commands.includes(command)) {
          assert.ok(!listed, `${key} listed for ${command}`);
          continue;
        }
        assert.ok(listed, `${key} missing for ${command}`);
        for (const flag of flagNames(key)) assert.ok(text.includes(`--${flag}`) || text.includes(`--[no-]${flag}`), `--${flag}`);
        for (const name of envNames(key)) assert.ok(text.includes(name), name);
      }
    });
  }

  test('every line fits in 100 columns', () => {
    for (const command of [...COMMANDS, undefined]) {
      for (const line of helpFor(command).split('\n')) assert.ok(line.length <= HELP_WIDTH, `${line.length}: ${line}`);
    }
  });

  test('options are grouped by section, in table order', () => {
    const text = helpFor('ingest');
    const order = [
      'Kafka:',
      'Elasticsearch / OpenSearch:',
      'Sink:',
      'Trace windows:',
      'Filters:',
      'Process:',
      'Backpressure:',
      'HTTP collector:',
      'Admin endpoint:',
      'Logging:',
    ];
    const at = order.map((title) => text.indexOf(`\n${title}\n`));
    assert.ok(
      at.every((i) => i > 0),
      JSON.stringify(at),
    );
    assert.deepEqual(
      at,
      [...at].sort((a, b) => a - b),
    );
    assert.ok(!text.includes('\nReplay:\n'));
    assert.ok(helpFor('replay').includes('\nReplay:\n'));
  });

  test('defaults print as they are typed; secrets and unset options print no value', () => {
    assert.equal(defaultText('kafka.commitIntervalMs'), '5s');
    assert.equal(defaultText('backpressure.maxOutstandingBytes'), '256MiB');
    assert.equal(defaultText('es.hosts'), 'http://127.0.0.1:9200');
    assert.equal(defaultText('es.autocompleteKeys'), '(none)');
    assert.equal(defaultText('kafka.deadLetterTopic'), '<first topic>.dead-letter');
    assert.equal(defaultText('replay.from'), 'required');
    assert.equal(defaultText('es.password'), undefined);
    const text = helpFor('ingest');
    assert.match(text, /--kafka-bootstrap-servers, --brokers <host:port,\.\.\.>\n {6}Kafka brokers/);
    assert.match(text, /default: 127\.0\.0\.1:9092 · env: TRACEFOLD_KAFKA_BOOTSTRAP_SERVERS, KAFKA_BOOTSTRAP_SERVERS/);
    assert.match(text, /--\[no-\]es-ensure-templates/);
    assert.match(text, /--kafka-property <k=v> \(repeatable\)/);
    assert.match(text, /9412, not Zipkin's 9411/);
  });

  test('without a command: the list of commands', () => {
    const text = helpFor();
    for (const c of COMMANDS) assert.match(text, new RegExp(`^  ${c} `, 'm'));
  });

  test('wrap keeps words whole and long words on their own line', () => {
    assert.deepEqual(wrap('aa bb cc', 5, '  ', ''), ['aa bb', '  cc']);
    assert.deepEqual(wrap('http://a-very-long-url x', 10, ''), ['http://a-very-long-url', 'x']);
  });
});
