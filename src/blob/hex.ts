/** Error-message formatting shared by the blob structs. */
import { hex } from '../bytes.js';

export { hex };

/** range formats a byte range as `[0x…, +0x…)`. */
export function range(offset: number, length: number): string {
  return `[${hex(offset)}, +${hex(length)})`;
}
