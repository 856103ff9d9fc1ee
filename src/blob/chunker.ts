/**
 * Splits a file body into chunks of the blob's chunk size (format doc §3.1): a file
 * of L bytes gives ceil(L / chunkSize) chunks, all full except perhaps the last.
 */
import { FormatError } from '../errors.js';

/**
 * chunksOf yields the chunks of a body that must hold exactly `size` bytes. Memory is
 * one chunk: a yielded buffer may be reused for the next chunk, so consumers must be
 * done with it before they pull again. Throws FormatError when the body is shorter
 * or longer than `size`.
 */
export async function* chunksOf(
  body: AsyncIterable<Buffer>,
  size: number,
  chunkSize: number,
): AsyncGenerator<Buffer> {
  let remaining = size;
  let staged: Buffer | undefined;
  let fill = 0;
  for await (const piece of body) {
    if (piece.length > remaining) throw sizeError(size, size - remaining + piece.length, true);
    remaining -= piece.length;
    let pos = 0;
    while (pos < piece.length) {
      // Whole chunks that sit inside one input piece go out without a copy.
      if (fill === 0 && piece.length - pos >= chunkSize) {
        yield piece.subarray(pos, pos + chunkSize);
        pos += chunkSize;
        continue;
      }
      staged ??= Buffer.allocUnsafe(Math.min(chunkSize, size));
      const n = Math.min(piece.length - pos, chunkSize - fill);
      piece.copy(staged, fill, pos, pos + n);
      fill += n;
      pos += n;
      if (fill === chunkSize) {
        yield staged;
        fill = 0;
      }
    }
  }
  if (remaining !== 0) throw sizeError(size, size - remaining, false);
  if (fill > 0 && staged !== undefined) yield staged.subarray(0, fill);
}

function sizeError(want: number, got: number, atLeast: boolean): FormatError {
  const more = atLeast ? 'at least ' : '';
  return new FormatError('file', 'size', `body has ${more}${got} bytes, entry says ${want}`);
}
