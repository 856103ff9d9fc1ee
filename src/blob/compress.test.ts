import { randomBytes } from 'node:crypto';
import { uncompressSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../errors.js';
import { compressChunk, decompressChunk } from './compress.js';
import type { Compressor } from './types.js';

const TEXT = Buffer.from('the quick brown fox jumps over the lazy dog; '.repeat(300));

describe('compressChunk / decompressChunk', () => {
  it.each<Compressor>(['zstd', 'lz4_block'])('%s round-trips compressible data smaller', (c) => {
    const out = compressChunk(c, TEXT);
    expect(out.compressed).toBe(true);
    expect(out.bytes.length).toBeLessThan(TEXT.length);
    expect(decompressChunk(c, out.bytes, TEXT.length).equals(TEXT)).toBe(true);
  });

  it('writes one zstd frame with the content size and no checksum', () => {
    const { bytes } = compressChunk('zstd', TEXT);
    expect(bytes.subarray(0, 4).toString('hex')).toBe('28b52ffd');
    const fhd = bytes[4];
    expect(fhd >> 6).toBe(1); // two-byte frame content size field for 256..65791 bytes
    expect(fhd & 0x04).toBe(0); // no content checksum
    const fcsAt = fhd & 0x20 ? 5 : 6; // single-segment frames omit the window byte
    expect(bytes.readUInt16LE(fcsAt) + 256).toBe(TEXT.length);
  });

  it('writes a raw LZ4 block with no length prefix', () => {
    const { bytes } = compressChunk('lz4_block', TEXT);
    const prefixed = Buffer.concat([Buffer.from([0, 0, 0, 0]), bytes]);
    prefixed.writeUInt32LE(TEXT.length, 0);
    expect(uncompressSync(prefixed).equals(TEXT)).toBe(true);
    expect(bytes.readUInt32LE(0)).not.toBe(TEXT.length);
  });

  it.each<Compressor>(['zstd', 'lz4_block', 'none'])('%s stores incompressible data as-is', (c) => {
    const data = randomBytes(4096);
    const out = compressChunk(c, data);
    expect(out).toEqual({ bytes: data, compressed: false });
    expect(decompressChunk('none', out.bytes, 4096).equals(data)).toBe(true);
  });

  it('checks the output size', () => {
    const z = compressChunk('zstd', TEXT).bytes;
    expect(() => decompressChunk('zstd', z, TEXT.length + 1)).toThrowError(FormatError);
    expect(() => decompressChunk('zstd', z, TEXT.length - 1)).toThrowError(/chunk\.zstd/);
    const l = compressChunk('lz4_block', TEXT).bytes;
    expect(() => decompressChunk('lz4_block', l, TEXT.length + 10)).toThrowError(/uncompressed_size/);
    expect(() => decompressChunk('none', TEXT, 5)).toThrowError(/uncompressed_size/);
    expect(() => decompressChunk('zstd', randomBytes(100), 100)).toThrowError(FormatError);
  });
});
