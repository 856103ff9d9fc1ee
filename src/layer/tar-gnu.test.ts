/**
 * Archives written by GNU tar (a real, independent writer) through readTar.
 * Needs `tar` (GNU) and `python3` (to set a binary user xattr) on PATH.
 */
import { execFileSync } from 'node:child_process';
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunked } from '../../test/helpers/tar-builder.js';
import { readTar } from './tar.js';

const XATTR = Buffer.from([0x00, 0x80, 0xff, 0xc3, 0x28, 0x0a]);
const LONG = `deep/${'d'.repeat(120)}/${'f'.repeat(110)}`;
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'layer-gnu-'));
  const root = join(dir, 'root');
  await mkdir(join(root, 'deep', 'd'.repeat(120)), { recursive: true });
  await writeFile(join(root, 'file'), 'data\n');
  await writeFile(join(root, LONG), 'long\n');
  await link(join(root, 'file'), join(root, 'hard'));
  await symlink('../elsewhere/target', join(root, 'sym'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  const setx = `import os,sys; os.setxattr(sys.argv[1], 'user.bin', bytes.fromhex(sys.argv[2]))`;
  execFileSync('python3', ['-c', setx, join(root, 'file'), XATTR.toString('hex')]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function gnuTar(format: string): Buffer {
  // GNU tar stores xattrs only in PAX (posix) archives.
  const xattrs = format === 'posix' ? ['--xattrs'] : [];
  const args = [...xattrs, '--sort=name', `--format=${format}`, '-cf', '-'];
  return execFileSync('tar', [...args, '-C', join(dir, 'root'), '.'], { maxBuffer: 64 << 20 });
}

async function read(tar: Buffer, slice: number) {
  const out = [];
  for await (const e of readTar(chunked(tar, slice), 'gnu')) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c);
    const data = Buffer.concat(parts).toString();
    out.push({ path: e.path, type: e.type, link: e.linkTarget, data, x: e.xattrs });
  }
  return out;
}

describe.each(['gnu', 'posix'])('readTar on GNU tar --format=%s', (format) => {
  it('reads every entry, the long name and (posix) the binary xattr', async () => {
    const tar = gnuTar(format);
    // The long name travels as a GNU `L` entry or a PAX `path` record.
    expect(tar.includes(format === 'gnu' ? '././@LongLink' : ' path=./deep/')).toBe(true);
    const entries = await read(tar, 321);
    expect(await read(tar, Infinity)).toEqual(entries);
    const brief = entries.map((e) => [e.path, e.type, e.link, e.data]);
    expect(brief).toEqual([
      ['', 'dir', '', ''],
      ['deep', 'dir', '', ''],
      [`deep/${'d'.repeat(120)}`, 'dir', '', ''],
      [LONG, 'file', '', 'long\n'],
      ['fifo', 'fifo', '', ''],
      ['file', 'file', '', 'data\n'],
      ['hard', 'hardlink', 'file', ''],
      ['sym', 'symlink', '../elsewhere/target', ''],
    ]);
    const file = entries.find((e) => e.path === 'file')!;
    if (format === 'posix') expect(file.x.get('user.bin')).toEqual(XATTR);
    else expect(file.x.size).toBe(0);
  });
});
