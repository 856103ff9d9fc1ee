/**
 * Turning errors into the one line a user reads, and figures into friendly units.
 */
import { NydusifyError } from '../errors.js';
import { safeText } from '../text.js';

/** Formats an error as one line: what failed, where, and a hint when known. */
export function errorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // Messages can quote a registry or an image: control characters are escaped so
  // they neither drive the terminal nor add lines.
  const firstLine = safeText(message.split('\n')[0] ?? message);
  const hint = err instanceof NydusifyError ? hintOf(err) : undefined;
  return hint ? `error: ${firstLine} (${safeText(hint)})` : `error: ${firstLine}`;
}

function hintOf(err: NydusifyError): string | undefined {
  let e: unknown = err;
  while (e instanceof NydusifyError) {
    if (e.hint) return e.hint;
    e = e.cause;
  }
  return undefined;
}

/** Formats a byte count as B, KiB, MiB or GiB with one decimal. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}
