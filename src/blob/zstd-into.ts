/**
 * zstd chunk compression straight into a caller's buffer, for the chunk jobs: one
 * output buffer per batch instead of a fresh Buffer per chunk plus a copy, which
 * in a worker thread is garbage that piles up as external memory until the next GC.
 * The frames are the ones `compressBytes('zstd', …)` writes (format doc §3.1): the
 * same library call, ZSTD_compress2, with the same parameters.
 */
import binding from 'zstd-napi/binding.js';
import { ZSTD_LEVEL } from './compress.js';

/** One context per thread, reused: creating one per chunk costs more than small chunks. */
let cctx: InstanceType<typeof binding.CCtx> | undefined;

function context(): InstanceType<typeof binding.CCtx> {
  if (cctx === undefined) {
    cctx = new binding.CCtx();
    cctx.setParameter(binding.CParameter.compressionLevel, ZSTD_LEVEL);
    cctx.setParameter(binding.CParameter.contentSizeFlag, 1);
    cctx.setParameter(binding.CParameter.checksumFlag, 0);
  }
  return cctx;
}

/** zstdBound is the most bytes `zstdInto` can write for `size` input bytes. */
export function zstdBound(size: number): number {
  return binding.compressBound(size);
}

/** zstdInto compresses `src` as one frame into `dst` (≥ zstdBound) and returns its length. */
export function zstdInto(dst: Uint8Array, src: Uint8Array): number {
  return context().compress2(dst, src);
}
