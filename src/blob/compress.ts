/**
 * Per-chunk compression (format doc §3.1): zstd as one level-3 frame with the content
 * size in its header, lz4_block as a raw LZ4 block with no size prefix, or none.
 * A chunk is stored as-is when compression does not make it strictly smaller.
 */
import { Compressor as ZstdCompressor } from 'zstd-napi';
import zstdBinding from 'zstd-napi/binding.js';
import { compressSync as lz4Compress, uncompressSync as lz4Uncompress } from 'lz4-napi';
import { FormatError } from '../errors.js';
import type { Compressor } from './types.js';

/** ZSTD_LEVEL is the zstd level nydus-image uses for chunks and metadata. */
export const ZSTD_LEVEL = 3;

/** LZ4_SIZE_PREFIX is the little-endian u32 length that lz4-napi puts before a block. */
const LZ4_SIZE_PREFIX = 4;

/**
 * One compression context, reused for every call: creating a zstd context per chunk
 * costs more than compressing a small chunk.
 */
let zstd: ZstdCompressor | undefined;

function zstdCompressor(): ZstdCompressor {
  if (zstd === undefined) {
    zstd = new ZstdCompressor();
    zstd.setParameters({
      compressionLevel: ZSTD_LEVEL,
      contentSizeFlag: true,
      checksumFlag: false,
    });
  }
  return zstd;
}

/** CompressedChunk is a chunk as it is stored in a blob. */
export interface CompressedChunk {
  /** The stored bytes: compressed, or the input itself when compression did not help. */
  bytes: Buffer;
  /** True when `bytes` is compressed. */
  compressed: boolean;
}

/** compressBytes compresses with `c` unconditionally; `none` returns the input. */
export function compressBytes(c: Compressor, data: Buffer): Buffer {
  switch (c) {
    case 'zstd':
      return zstdCompressor().compress(data);
    case 'lz4_block':
      // lz4-napi prefixes the block with its uncompressed length; the format wants
      // the bare block because the length is known from the chunk info.
      return lz4Compress(data).subarray(LZ4_SIZE_PREFIX);
    case 'none':
      return data;
  }
}

/**
 * compressChunk compresses one chunk, falling back to the raw bytes when the result
 * is not strictly smaller (readers tell the cases apart by the sizes).
 */
export function compressChunk(c: Compressor, data: Buffer): CompressedChunk {
  if (c === 'none' || data.length === 0) return { bytes: data, compressed: false };
  const out = compressBytes(c, data);
  if (out.length >= data.length) return { bytes: data, compressed: false };
  return { bytes: out, compressed: true };
}

/**
 * decompressChunk reverses compressBytes and checks that exactly `uncompressedSize`
 * bytes come out. It never allocates more than `uncompressedSize` for the output, so
 * a frame that claims a huge size cannot exhaust memory.
 */
export function decompressChunk(c: Compressor, bytes: Buffer, uncompressedSize: number): Buffer {
  let out: Buffer;
  try {
    out = decompressRaw(c, bytes, uncompressedSize);
  } catch (err) {
    if (err instanceof FormatError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new FormatError('chunk', c, `cannot decompress ${bytes.length} bytes: ${why}`);
  }
  if (out.length !== uncompressedSize) {
    throw new FormatError(
      'chunk',
      'uncompressed_size',
      `${c} output is 0x${out.length.toString(16)} bytes, want 0x${uncompressedSize.toString(16)}`,
    );
  }
  return out;
}

function decompressRaw(c: Compressor, bytes: Buffer, size: number): Buffer {
  switch (c) {
    case 'none':
      return bytes;
    case 'zstd': {
      const out = Buffer.allocUnsafe(size);
      const n = zstdBinding.decompress(out, bytes);
      return out.subarray(0, n);
    }
    case 'lz4_block': {
      const prefixed = Buffer.allocUnsafe(LZ4_SIZE_PREFIX + bytes.length);
      prefixed.writeUInt32LE(size, 0);
      bytes.copy(prefixed, LZ4_SIZE_PREFIX);
      return lz4Uncompress(prefixed);
    }
  }
}
