/**
 * Chunk digests and CRC-32C, the two checksums every chunk carries (format doc §3.1, §6).
 *
 * The chunk id is BLAKE3-256 or SHA-256 of the uncompressed bytes; the CRC-32C of the
 * same bytes goes into the chunk table. Both run over every byte of every image, so
 * CRC-32C uses slicing-by-8 tables rather than the byte-at-a-time loop.
 */
import { createHash } from 'node:crypto';
import { blake3 } from '@napi-rs/blake-hash';
import type { Digester } from './types.js';

/** DIGEST_SIZE is the length in bytes of a chunk digest for either digester. */
export const DIGEST_SIZE = 32;

/** chunkDigest returns the 32-byte digest of `data` with the given digester. */
export function chunkDigest(d: Digester, data: Uint8Array): Buffer {
  switch (d) {
    case 'blake3':
      // The native binding takes Buffers only; wrapping shares the memory, no copy.
      return blake3(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    case 'sha256':
      return createHash('sha256').update(data).digest();
  }
}

/** sha256 returns the SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** CRC32C_POLY_REFLECTED is the Castagnoli polynomial 0x1EDC6F41, bit-reversed. */
const CRC32C_POLY_REFLECTED = 0x82f63b78;

/**
 * Eight 256-entry tables: TABLES[0] is the classic byte table; TABLES[k][b] is the
 * CRC of byte b followed by k zero bytes, so eight input bytes fold in one step.
 */
const TABLES: Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ CRC32C_POLY_REFLECTED : c >>> 1;
    tables[0][b] = c >>> 0;
  }
  for (let b = 0; b < 256; b++) {
    for (let k = 1; k < 8; k++) {
      const prev = tables[k - 1][b];
      tables[k][b] = (tables[0][prev & 0xff] ^ (prev >>> 8)) >>> 0;
    }
  }
  return tables;
}

/**
 * crc32c returns the CRC-32C (Castagnoli, reflected, init and xor-out 0xFFFFFFFF) of
 * `data`. Pass a previous result as `seed` to continue over split input:
 * `crc32c(b, crc32c(a)) === crc32c(a ‖ b)`. Check value: "123456789" → 0xE3069283.
 */
export function crc32c(data: Uint8Array, seed = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let crc = ~seed >>> 0;
  const n = data.length;
  let i = 0;
  // Fold eight bytes per step: the low four are xored into the running crc, the
  // high four only look up tables, so each step costs eight independent lookups.
  const end8 = n - (n % 8);
  while (i < end8) {
    const lo =
      (crc ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
    crc =
      t7[lo & 0xff] ^
      t6[(lo >>> 8) & 0xff] ^
      t5[(lo >>> 16) & 0xff] ^
      t4[lo >>> 24] ^
      t3[data[i + 4]] ^
      t2[data[i + 5]] ^
      t1[data[i + 6]] ^
      t0[data[i + 7]];
    i += 8;
  }
  while (i < n) crc = t0[(crc ^ data[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
