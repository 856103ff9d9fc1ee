import { describe, expect, it } from 'vitest';
import { FormatError } from '../errors.js';
import { chunksOf } from './chunker.js';

async function* slices(data: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length];
    yield data.subarray(off, off + n);
    off += n;
  }
}

async function collect(body: AsyncIterable<Buffer>, size: number, chunk: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  // Copy each chunk: the chunker may reuse its buffer for the next one.
  for await (const c of chunksOf(body, size, chunk)) out.push(Buffer.from(c));
  return out;
}

describe('chunksOf', () => {
  const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff));

  it.each([[[1]], [[4096]], [[321, 5000, 1]], [[10_000]], [[4095, 4097]]])(
    'cuts pieces %j into 4096-byte chunks plus a tail',
    async (sizes) => {
      const chunks = await collect(slices(data, sizes), data.length, 4096);
      expect(chunks.map((c) => c.length)).toEqual([4096, 4096, 1808]);
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
    },
  );

  it('gives no chunks for an empty body and skips empty pieces', async () => {
    expect(await collect(slices(Buffer.alloc(0), [1]), 0, 4096)).toEqual([]);
    const chunks = await collect(slices(data.subarray(0, 5), [0, 5]), 5, 4096);
    expect(chunks).toEqual([data.subarray(0, 5)]);
  });

  it('fails on a short or long body', async () => {
    await expect(collect(slices(data, [999]), data.length + 1, 4096)).rejects.toThrowError(FormatError);
    await expect(collect(slices(data, [999]), data.length - 1, 4096)).rejects.toThrowError(
      'file.size: body has at least 10000 bytes, entry says 9999',
    );
  });
});
