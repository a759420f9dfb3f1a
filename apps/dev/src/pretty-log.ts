/**
 * The dev stack's log lines for a terminal: pino's JSON line turned into
 * `12:34:56 INFO  msg key=value …`, an error's stack below it. JSON stays the format everywhere
 * else (a pipe, a file, `hutong start`): this is for reading, not for parsing.
 */
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, [name: string, color: string]> = {
  10: ['TRACE', '90'],
  20: ['DEBUG', '36'],
  30: ['INFO ', '32'],
  40: ['WARN ', '33'],
  50: ['ERROR', '31'],
  60: ['FATAL', '35'],
};

/** Fields every line has, or that the line's head already shows. */
const SHOWN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'reqId', 'req', 'res', 'err']);

const paint = (color: boolean, code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);

/** One JSON log line as a terminal line; a line that is not JSON is passed through. */
export function formatLogLine(line: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const [name, code] = LEVELS[entry['level'] as number] ?? [String(entry['level']), '0'];
  const time = new Date(entry['time'] as number).toTimeString().slice(0, 8);
  const req = entry['req'] as { method?: string; url?: string } | undefined;
  const res = entry['res'] as { statusCode?: number } | undefined;
  const parts = [paint(color, '90', time), paint(color, code, name), String(entry['msg'] ?? '')];
  if (req) parts.push(`${req.method} ${req.url}`);
  if (res?.statusCode) parts.push(String(res.statusCode));
  for (const [key, value] of Object.entries(entry)) {
    if (SHOWN.has(key)) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(paint(color, '90', `${key}=`) + text);
  }
  const err = entry['err'] as { message?: string; stack?: string } | undefined;
  const stack = err ? `\n    ${(err.stack ?? err.message ?? '').split('\n').join('\n    ')}` : '';
  return `${parts.join(' ')}${stack}\n`;
}

/** A pino destination writing `formatLogLine`'s lines to `out` (default stdout), colored when asked. */
export function prettyDestination(
  out: NodeJS.WritableStream = process.stdout,
  color = !process.env['NO_COLOR'],
): DestinationStream {
  return { write: (line: string) => void out.write(formatLogLine(line, color)) };
}
