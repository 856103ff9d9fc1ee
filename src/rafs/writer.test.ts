import { describe, expect, test } from 'vitest';
import { NydusifyError } from '../errors.js';
import { newDir, newInode } from '../tree/types.js';
import type { TreeNode } from '../tree/types.js';
import { writeBootstrap } from './writer.js';
import type { BootstrapOptions } from './writer.js';
import { SAMPLE_CHUNK_SIZE, dumpErofs, fsckErofs, sampleBlob, sampleBlobs, sampleChunk, sampleTree } from './test-support.js';

const OPTS: BootstrapOptions = { chunkSize: SAMPLE_CHUNK_SIZE, compressor: 'zstd', digester: 'blake3' };

/** Parses `dump.erofs --ls` output into [nid, type, name] rows. */
function listing(out: string): Array<[number, number, string]> {
  const rows = out.split('\n').map((l) => /^\s+(\d+)\s+(\d)\s+(.*)$/.exec(l)).filter((m) => m !== null);
  return rows.map((m) => [Number(m![1]), Number(m![2]), m![3]!]);
}

/** Reads "Key: value" fields of `dump.erofs --path` output. */
function field(out: string, key: string): string {
  const m = new RegExp(`${key}: (\\S+)`).exec(out);
  if (m === null) throw new Error(`no ${key} in ${out}`);
  return m[1]!;
}

describe('writeBootstrap on a tree with every kind of entry', () => {
  const { root } = sampleTree();
  const boot = writeBootstrap(root, sampleBlobs(), OPTS);
  const dump = (...args: string[]) => dumpErofs(boot, 2, args);

  test('fsck.erofs accepts it', () => {
    const r = fsckErofs(boot, 2);
    expect(r.output).not.toMatch(/error|corrupt/i);
    expect(r.status).toBe(0);
  });

  test('the root listing is bytewise sorted with "!b" and "-a" before "."', () => {
    const rows = listing(dump('--ls', '--path=/'));
    expect(rows.map((r) => r[2])).toEqual(['!b', '-a', '.', '..', '.hidden', 'big', 'bin', 'dev', 'emptydir', 'etc', 'long', 'mid', 'usr']);
    expect(rows.find((r) => r[2] === '.')![0]).toBe(128);
    expect(rows.find((r) => r[2] === '-a')![1]).toBe(5);
    expect(rows.find((r) => r[2] === 'long')![1]).toBe(7);
  });

  test('a 400-entry directory spans several dirent blocks and lists completely', () => {
    const out = dump('--ls', '--path=/big');
    const names = listing(out).map((r) => r[2]);
    expect(names).toEqual(['.', '..', ...Array.from({ length: 400 }, (_, i) => `file-${String(i).padStart(4, '0')}`)]);
    expect(Number(field(out, 'Size'))).toBeGreaterThan(4096);
  });

  test('hardlinks share one nid and count their names', () => {
    const a = listing(dump('--ls', '--path=/bin')).find((r) => r[2] === 'sh')!;
    const b = listing(dump('--ls', '--path=/usr/bin')).find((r) => r[2] === 'sh-link')!;
    expect(a[0]).toBe(b[0]);
    const out = dump(`--nid=${a[0]}`);
    expect(field(out, 'Links')).toBe('2');
    expect(field(out, 'Size')).toBe(String(3 * 4096 - 100));
    expect(field(out, 'Uid')).toBe('100000');
    expect(field(out, 'Gid')).toBe('100001');
    // dump.erofs prints only the 0777 bits; the setuid bit is checked by the reader round trip.
    expect(out).toContain('Access: 0755');
  });

  test('layouts: long symlink PLAIN, shorter INLINE, directory nlink = 2 + subdirs', () => {
    expect(field(dump('--path=/long'), 'Layout')).toBe('0');
    expect(field(dump('--path=/long'), 'Size')).toBe('4050');
    expect(field(dump('--path=/mid'), 'Layout')).toBe('2');
    expect(field(dump('--path=/'), 'Links')).toBe(String(2 + 6));
    expect(field(dump('--path=/etc/conf'), 'Layout')).toBe('4');
    expect(field(dump('--path=/etc/conf'), 'Xattr size')).toBe('96'); // 12 + 40 + 16 + 16 + 12
    expect(field(dump('--path=/dev/sda'), 'Layout')).toBe('0');
  });

  test('superblock and extended superblock values', () => {
    expect(boot.length % 4096).toBe(0);
    expect(boot.readUInt16LE(0x456)).toBe(2); // extra devices
    expect(boot.readUInt32LE(0x424)).toBe(6); // 1 + 5 blocks
    // Every entry consumes an index: root, 13 names at root, 2 in bin, 3 in dev, 400, 2 in etc, 1 + 1 in usr.
    expect(Number(boot.readBigUInt64LE(0x410))).toBe(1 + 11 + 2 + 3 + 400 + 2 + 1 + 1);
    // ENCRYPTION_NONE | INLINED_CHUNK_DIGEST | ZSTD | HAS_XATTR | EXPLICIT_UID_GID | BLAKE3
    expect(Number(boot.readBigUInt64LE(0x480))).toBe(0x010001b4);
    // Blob table renumbered by first use: .hidden (caller blob 2) comes before /bin/sh (blob 1).
    expect(boot.toString('latin1', 0x1000, 0x1040)).toBe(sampleBlob('blob-b', 1).blobId);
    expect(boot.toString('latin1', 0x1100, 0x1140)).toBe(sampleBlob('blob-a', 5).blobId);
    // Prefetch table: the root nid right after the blob table.
    expect(Number(boot.readBigUInt64LE(0x4a8))).toBe(0x1200);
    expect(boot.readUInt32LE(0x1200)).toBe(128);
  });

  test('the chunk table has one record per distinct chunk, sorted by digest', () => {
    const ct = Number(boot.readBigUInt64LE(0x498));
    const count = Number(boot.readBigUInt64LE(0x4a0)) / 80;
    expect(count).toBe(6);
    const digests = Array.from({ length: count }, (_, i) => boot.subarray(ct + 80 * i, ct + 80 * i + 32));
    for (let i = 1; i < count; i++) expect(Buffer.compare(digests[i - 1]!, digests[i]!)).toBeLessThan(0);
    for (let i = 0; i < count; i++) expect(boot.readUInt32LE(ct + 80 * i + 36) & 0x10).toBe(0x10);
  });

  test('deterministic: the same tree gives the same bytes', () => {
    expect(writeBootstrap(sampleTree().root, sampleBlobs(), OPTS).equals(boot)).toBe(true);
  });
});

function tiny(name: string, node: TreeNode): TreeNode {
  const root = newDir();
  root.children!.set(name, node);
  return root;
}
const leaf = (inode: ReturnType<typeof newInode>): TreeNode => ({ inode, children: null, implicit: false });

describe('writeBootstrap failures', () => {
  test('an unknown xattr prefix names the path and the key', () => {
    const root = tiny('f', leaf(newInode('file', { xattrs: new Map([['os2.x', Buffer.from('1')]]) })));
    expect(() => writeBootstrap(root, [], OPTS)).toThrow('/f: invalid xattr key "os2.x"');
  });

  test('an empty symlink target', () => {
    expect(() => writeBootstrap(tiny('l', leaf(newInode('symlink'))), [], OPTS)).toThrow(/\/l: symlink has an empty target/);
  });

  test('a chunk in a blob that is not given', () => {
    const root = tiny('f', leaf(newInode('file', { size: 10, chunks: [sampleChunk(3, 0, 10)] })));
    expect(() => writeBootstrap(root, sampleBlobs(), OPTS)).toThrow(/\/f: chunk references blob 3/);
  });

  test('chunk count that does not match the size', () => {
    const root = tiny('f', leaf(newInode('file', { size: 5000, chunks: [sampleChunk(1, 0)] })));
    expect(() => writeBootstrap(root, sampleBlobs(), OPTS)).toThrow(/1 chunks for 5000 bytes/);
  });

  test('more than 254 blobs', () => {
    const root = newDir();
    const blobs = Array.from({ length: 255 }, (_, i) => sampleBlob(`b${i}`, 1));
    for (let i = 0; i < 255; i++) root.children!.set(`f${i}`, leaf(newInode('file', { size: 1, chunks: [sampleChunk(i, 0, 1)] })));
    expect(() => writeBootstrap(root, blobs, OPTS)).toThrow(/255 blobs; RAFS v6 allows at most 254/);
  });

  test('inode plus xattrs over one block', () => {
    const xattrs = new Map([['user.big', Buffer.alloc(4100)]]);
    expect(() => writeBootstrap(tiny('f', leaf(newInode('file', { xattrs }))), [], OPTS)).toThrow(NydusifyError);
  });

  test('a blob without the ALIGNED feature is refused by validation', () => {
    const blob = { ...sampleBlob('x', 1), features: 0x40000000 };
    const root = tiny('f', leaf(newInode('file', { size: 1, chunks: [sampleChunk(0, 0, 1)] })));
    expect(() => writeBootstrap(root, [blob], OPTS)).toThrow(/ALIGNED/);
  });
});

describe('writeBootstrap without blobs', () => {
  test('an empty root passes fsck.erofs and has no prefetch table', () => {
    const boot = writeBootstrap(newDir(), [], OPTS);
    expect(boot.length).toBe(8192);
    expect(boot.readUInt32LE(0x428)).toBe(0); // meta area at 0: root at 4096
    expect(boot.readUInt32LE(0x4b0)).toBe(0);
    expect(fsckErofs(boot, 0).status).toBe(0);
  });
});

describe('writer range checks', () => {
  test('refuses a uid over 32 bits, naming the path', () => {
    const root = newDir();
    root.children?.set('big', { inode: newInode('file', { uid: 2 ** 40 }), children: null, implicit: false });
    expect(() => writeBootstrap(root, [], { chunkSize: 0x100000, compressor: 'zstd', digester: 'blake3' })).toThrow(
      '/big: uid 1099511627776 does not fit a RAFS v6 inode',
    );
  });
});

describe('writer name checks', () => {
  test('a name over 255 bytes is refused with its full path', () => {
    const root = newDir();
    const dir = newDir();
    root.children?.set('d', dir);
    dir.children?.set('n'.repeat(256), { inode: newInode('file'), children: null, implicit: false });
    expect(() => writeBootstrap(root, [], { chunkSize: 0x100000, compressor: 'zstd', digester: 'blake3' })).toThrow(
      `/d/${'n'.repeat(256)}: name of 256 bytes is over the 255 that EROFS allows`,
    );
  });
});
