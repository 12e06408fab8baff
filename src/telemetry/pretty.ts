/**
 * Human-readable log lines for `--log-pretty`, without a dependency (pino-pretty): pino hands each
 * record as one JSON line to `write`, and this turns it into
 * `12:00:01.234 WARN  message key=value …` on the wrapped output (stderr).
 */

const LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every record has, shown in the line's head or not at all. */
const HEAD = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

export interface LineSink {
  write(chunk: string): unknown;
}

/** Formats one pino JSON line; a line that is not JSON passes through unchanged. */
export function formatPrettyLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '';
  const level = (typeof record.level === 'number' ? LEVELS[record.level] : undefined) ?? String(record.level ?? '');
  const parts = [time, level.padEnd(5), typeof record.msg === 'string' ? record.msg : ''].filter((p) => p !== '');
  for (const [k, v] of Object.entries(record)) {
    if (HEAD.has(k) || v === undefined) continue;
    if (k === 'err' && typeof v === 'object' && v !== null && typeof (v as { stack?: unknown }).stack === 'string') {
      // A stack reads better on its own lines than as one escaped string.
      parts.push(`err=${JSON.stringify((v as { message?: unknown }).message ?? '')}\n${(v as { stack: string }).stack}`);
      continue;
    }
    parts.push(`${k}=${typeof v === 'string' && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`);
  }
  return `${parts.join(' ')}\n`;
}

/** A pino destination writing human-readable lines to `out`. */
export function prettyStream(out: LineSink): LineSink {
  return {
    write(chunk: string): void {
      for (const line of chunk.split('\n')) if (line !== '') out.write(formatPrettyLine(line));
    },
  };
}
