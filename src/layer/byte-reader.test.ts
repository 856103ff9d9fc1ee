import { describe, expect, it } from 'vitest';
import { chunked } from '../../test/helpers/tar-builder.js';
import { ByteReader } from './byte-reader.js';

const DATA = Buffer.from('0123456789abcdefghij');

function reader(size: number) {
  return new ByteReader(chunked(DATA, size), (detail) => new Error(`short: ${detail}`));
}

describe('ByteReader', () => {
  it.each([1, 3, 7, Infinity])('reads, skips and streams exactly, %d-byte chunks', async (size) => {
    const r = reader(size);
    expect((await r.readExact(4)).toString()).toBe('0123');
    await r.skip(6);
    expect(r.position).toBe(10);
    const streamed: string[] = [];
    for (let left = 5; left > 0; ) {
      const chunk = (await r.chunk(left))!;
      expect(chunk.length).toBeLessThanOrEqual(Math.min(left, size));
      streamed.push(chunk.toString());
      left -= chunk.length;
    }
    expect(streamed.join('')).toBe('abcde');
    expect((await r.read(100)).toString()).toBe('fghij');
    expect((await r.read(1)).length).toBe(0);
    expect(await r.chunk(1)).toBeNull();
  });

  it('throws the short-read error when the input ends early', async () => {
    await expect(reader(3).readExact(21)).rejects.toThrow(
      'short: unexpected end of data: wanted 21 bytes, got 20',
    );
    await expect(reader(3).skip(25)).rejects.toThrow('short: unexpected end of data: 5 of 25');
  });

  it('drains the rest and reports non-zero bytes', async () => {
    const zeros = new ByteReader([Buffer.alloc(10)], () => new Error());
    expect(await zeros.drain()).toBe(false);
    const r = reader(4);
    await r.skip(2);
    expect(await r.drain()).toBe(true);
    expect(r.position).toBe(20);
  });

  it('accepts Uint8Array chunks and skips empty ones', async () => {
    const parts = [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])];
    const r = new ByteReader(parts, () => new Error());
    expect([...(await r.readExact(3))]).toEqual([1, 2, 3]);
  });

  it('stops the source on close', async () => {
    let stopped = false;
    async function* src() {
      try {
        yield Buffer.from('abc');
        yield Buffer.from('def');
      } finally {
        stopped = true;
      }
    }
    const r = new ByteReader(src(), () => new Error());
    await r.readExact(1);
    await r.close();
    expect(stopped).toBe(true);
  });
});
