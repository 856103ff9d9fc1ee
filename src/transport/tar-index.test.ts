import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTestImages, tempDir } from '../../test/helpers/images.js';
import { FormatError } from '../errors.js';
import { TAR_BLOCK, TarIndex } from './tar-index.js';

afterAll(removeTestImages);

async function writeTar(entries: Partial<tar.Header>[], data: Record<string, Buffer>): Promise<string> {
  const pack = tar.pack();
  const out = buffer(pack);
  for (const e of entries) pack.entry(e as tar.Header, data[e.name ?? ''] ?? Buffer.alloc(0));
  pack.finalize();
  const path = join(await tempDir(), 'x.tar');
  await writeFile(path, await out);
  return path;
}

describe('TarIndex', () => {
  it('indexes members, long names, links, and reads them at their offsets', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
    const data = { 'a.txt': Buffer.from('hello'), [long]: Buffer.alloc(3000, 7), './dot/b': Buffer.from('b') };
    const path = await writeTar(
      [
        { name: 'a.txt', size: 5 },
        { name: long, size: 3000 },
        { name: './dot/b', size: 1 },
        { name: 'dir/', type: 'directory' },
        { name: 'dir/link', type: 'symlink', linkname: '../a.txt' },
        { name: 'hard', type: 'link', linkname: 'a.txt' },
        { name: 'loop', type: 'symlink', linkname: 'loop' },
      ],
      data,
    );
    const index = await TarIndex.open(path);
    try {
      const a = index.lookup('a.txt');
      expect(a).toMatchObject({ type: 'file', size: 5, offset: TAR_BLOCK });
      expect((await index.read(a!)).toString()).toBe('hello');
      expect((await buffer(index.stream(index.lookup(long)!))).equals(data[long]!)).toBe(true);
      expect((await index.read(index.lookup('dot/b')!)).toString()).toBe('b');
      expect(index.lookup('dir/link')).toEqual(a);
      expect(index.lookup('hard')).toEqual(a);
      expect(index.lookup('loop')).toBeUndefined();
      expect(index.lookup('dir')).toBeUndefined();
      expect(index.lookup('nope')).toBeUndefined();
    } finally {
      await index.close();
    }
  });

  it('refuses a header whose checksum is wrong', async () => {
    const path = await writeTar([{ name: 'a', size: 1 }], { a: Buffer.from('x') });
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(path);
    bytes[0] = 'b'.charCodeAt(0);
    await writeFile(path, bytes);
    const err = await TarIndex.open(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toMatch(/^tar header\.checksum at offset 0x0: stored/);
  });

  it('refuses a member running past the end of the file', async () => {
    const path = await writeTar([{ name: 'a', size: 2000 }], { a: Buffer.alloc(2000) });
    const { readFile } = await import('node:fs/promises');
    await writeFile(path, (await readFile(path)).subarray(0, 1024));
    await expect(TarIndex.open(path)).rejects.toThrow('runs past the end of the file');
  });
});
