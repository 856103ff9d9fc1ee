/** Error-message formatting shared by the blob structs. */

/** hex formats a number as `0x…` for error messages. */
export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

/** range formats a byte range as `[0x…, +0x…)`. */
export function range(offset: number, length: number): string {
  return `[${hex(offset)}, +${hex(length)})`;
}
