/**
 * Pull-based zstd decompression.
 *
 * zstd-napi's `DecompressStream` pushes every byte an input chunk expands to
 * before it looks at back-pressure, and zstd's RLE blocks let a few kilobytes
 * expand to gigabytes. Driving the library's `DCtx` from an async generator
 * produces one bounded output buffer per step, and only when the consumer asks.
 */

import binding from 'zstd-napi/binding.js';

/** ZSTD_OUT_SIZE is the size of each output buffer, zstd's recommended stream size. */
export const ZSTD_OUT_SIZE = binding.dStreamOutSize();

/** ZstdTruncatedError reports input that ends inside a zstd frame. */
export class ZstdTruncatedError extends Error {
  constructor() {
    super('zstd data ends inside a frame');
    this.name = 'ZstdTruncatedError';
  }
}

/**
 * Decompresses a stream of zstd frames (several concatenated frames and
 * skippable frames included). Throws the library's Error for corrupt data and
 * ZstdTruncatedError when the input stops mid-frame.
 */
export async function* zstdDecompress(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const dctx = new binding.DCtx();
  let inFrame = false;
  let out = Buffer.allocUnsafe(ZSTD_OUT_SIZE);
  for await (const chunk of input) {
    let src = chunk;
    for (;;) {
      const [left, produced, consumed] = dctx.decompressStream(out, src);
      src = src.subarray(consumed);
      if (produced > 0) {
        const full = produced === out.length;
        yield out.subarray(0, produced);
        // The consumer may keep what it was given; never write into it again.
        out = Buffer.allocUnsafe(ZSTD_OUT_SIZE);
        if (src.length > 0 || (full && left !== 0)) continue;
      } else if (src.length > 0) {
        continue;
      }
      inFrame = left !== 0;
      break;
    }
  }
  if (inFrame) throw new ZstdTruncatedError();
}
