/**
 * Parsers for flag values. Each throws a UsageError that names the flag and the
 * accepted values, so a typo gets a one-line answer.
 */
import { isValidChunkSize, type Compressor, type Digester } from '../blob/types.js';
import { UsageError } from '../errors.js';


/** Parses `--chunk-size`: decimal or 0x-hex, a power of two from 4 KiB to 16 MiB. */
export function parseChunkSize(text: string): number {
  const value = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!isValidChunkSize(value)) {
    throw new UsageError(`--chunk-size ${text}: must be a power of two from 0x1000 to 0x1000000`, {
      hint: 'for example --chunk-size 0x100000 (1 MiB, the default)',
    });
  }
  return value;
}

/** Parses `--compressor`. */
export function parseCompressor(text: string): Compressor {
  if (text === 'zstd' || text === 'lz4_block' || text === 'none') return text;
  throw new UsageError(`--compressor ${text}: must be one of zstd, lz4_block, none`);
}

/** Parses `--digester`. */
export function parseDigester(text: string): Digester {
  if (text === 'blake3' || text === 'sha256') return text;
  throw new UsageError(`--digester ${text}: must be blake3 or sha256`);
}

/** Parses `--fs-version`; only RAFS v6 is written. */
export function parseFsVersion(text: string): 6 {
  if (text === '6') return 6;
  throw new UsageError(`--fs-version ${text}: only RAFS v6 is supported`, {
    hint: 'RAFS v5 images can only be read by the FUSE daemon; use --fs-version 6',
  });
}

/** Parses a count flag: a whole number from `min` to `max`. */
export function parseCount(flag: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(`${flag} ${text}: must be a whole number from ${min} to ${max}`);
  }
  return n;
}

/** Parses a byte size: a whole number with an optional K, M or G suffix (powers of 1024). */
export function parseByteSize(flag: string, text: string): number {
  const m = /^(\d+)([kmg]?)i?b?$/i.exec(text);
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m?.[2] ?? '').toLowerCase()] ?? NaN;
  const n = m ? Number(m[1]) * scale : NaN;
  if (!(n > 0 && Number.isSafeInteger(n))) {
    throw new UsageError(`${flag} ${text}: must be a size in bytes, for example 16M or 5242880`);
  }
  return n;
}
