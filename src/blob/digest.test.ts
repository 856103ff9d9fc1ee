import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunkDigest, crc32c, sha256 } from './digest.js';

/** Bit-at-a-time CRC-32C, the definition the table version must agree with. */
function crc32cBitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of data) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

describe('crc32c', () => {
  it('has the Castagnoli check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    // RFC 3720 B.4: 32 bytes of zeros and of 0xff.
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
  });

  it('agrees with the bitwise definition on every length 0..64 and odd offsets', () => {
    const data = randomBytes(200);
    for (let n = 0; n <= 64; n++) {
      for (const start of [0, 1, 3, 7]) {
        const slice = data.subarray(start, start + n);
        expect(crc32c(slice)).toBe(crc32cBitwise(slice));
      }
    }
  });

  it('continues from a seed over split input', () => {
    const data = randomBytes(1000);
    expect(crc32c(data.subarray(333), crc32c(data.subarray(0, 333)))).toBe(crc32c(data));
  });
});

describe('chunkDigest', () => {
  it('computes blake3 and sha256', () => {
    expect(chunkDigest('blake3', Buffer.alloc(0)).toString('hex')).toBe(
      'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262',
    );
    expect(chunkDigest('sha256', Buffer.from('abc')).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(sha256(Buffer.from('a'), Buffer.from('bc')).equals(chunkDigest('sha256', Buffer.from('abc')))).toBe(true);
  });
});
