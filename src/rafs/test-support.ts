/**
 * Test support for the RAFS modules (used only by `*.test.ts`): the fixture
 * bootstrap, a tree equal to it, and runners for the real erofs-utils tools.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobInfo } from '../blob/types.js';
import type { ChunkRef, Inode, TreeNode } from '../tree/types.js';
import { newDir, newInode } from '../tree/types.js';

/** FIXTURE_BOOT is the path of the real nydus-image 2.2 bootstrap. */
export const FIXTURE_BOOT = new URL('../../../shared/fixtures/nydus/rafs-v6-2.2.boot', import.meta.url);
/** FIXTURE_BLOB_ID is the blob id the fixture's single blob has. */
export const FIXTURE_BLOB_ID = 'be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef';

/** Reads the fixture bootstrap. */
export function fixtureBoot(): Buffer {
  return readFileSync(FIXTURE_BOOT);
}

/** The fixture's blob table entry as a BlobInfo (values from nydus-format.md §1.5). */
export function fixtureBlob(): BlobInfo {
  return {
    blobId: FIXTURE_BLOB_ID,
    chunkSize: 0x100000,
    chunkCount: 2,
    compressor: 'zstd',
    digester: 'blake3',
    features: 0x70000021,
    compressedSize: 0x38da,
    uncompressedSize: 0x9000,
    ciCompressor: 'none',
    ciOffset: 0x207a,
    ciCompressedSize: 0x20,
    ciUncompressedSize: 0x20,
    tocSize: 0x400,
    tocDigest: Buffer.from('cfc89ed0739aef4eb1bf0904f0dfdb1c857134eca7319465baae95a99b84acde', 'hex'),
  };
}

/** The fixture's two chunks: [lib.rs chunk, sync_io.rs chunk] (values from §1.13). */
export function fixtureChunks(): [ChunkRef, ChunkRef] {
  const boot = fixtureBoot();
  const common = { blobIndex: 0, compressed: true, crc32: undefined };
  return [
    { ...common, chunkIndex: 0, digest: Buffer.from(boot.subarray(0x4050, 0x4070)), compressedOffset: 0, compressedSize: 0x12dc, uncompressedOffset: 0, uncompressedSize: 0x4223 },
    { ...common, chunkIndex: 1, digest: Buffer.from(boot.subarray(0x4000, 0x4020)), compressedOffset: 0x12dc, compressedSize: 0xb9e, uncompressedOffset: 0x5000, uncompressedSize: 0x3458 },
  ];
}

/** FIXTURE_MTIME is the mtime (seconds) of both fixture files. */
export const FIXTURE_MTIME = 0x63f23c61;

/** Builds the tree the fixture holds: root, lib.rs and sync_io.rs. */
export function fixtureTree(): TreeNode {
  const [lib, sync] = fixtureChunks();
  const root = newDir({ perm: 0o755 });
  const file = (size: number, chunk: ChunkRef): TreeNode => ({
    inode: newInode('file', { perm: 0o644, mtime: FIXTURE_MTIME, size, chunks: [chunk] }),
    children: null,
    implicit: false,
  });
  root.children!.set('lib.rs', file(16931, lib));
  root.children!.set('sync_io.rs', file(13400, sync));
  return root;
}

/** Writes `boot` and one empty placeholder device per blob to a temp dir; returns the paths. */
export function stageImage(boot: Buffer, devices: number): { image: string; deviceArgs: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'rafs-test-'));
  const image = join(dir, 'image.boot');
  writeFileSync(image, boot);
  const deviceArgs = Array.from({ length: devices }, (_, i) => {
    const path = join(dir, `blob${i}`);
    writeFileSync(path, Buffer.alloc(0));
    return `--device=${path}`;
  });
  return { image, deviceArgs };
}

/** Runs fsck.erofs on a bootstrap with `devices` placeholder devices; returns status and output. */
export function fsckErofs(boot: Buffer, devices: number): { status: number | null; output: string } {
  const { image, deviceArgs } = stageImage(boot, devices);
  const r = spawnSync('fsck.erofs', [...deviceArgs, image], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Runs dump.erofs with extra arguments and returns its stdout (throws on failure). */
export function dumpErofs(boot: Buffer, devices: number, args: string[]): string {
  const { image, deviceArgs } = stageImage(boot, devices);
  return execFileSync('dump.erofs', [...deviceArgs, ...args, image], { encoding: 'utf8' });
}

/** SAMPLE_CHUNK_SIZE is the small chunk size the sample tree uses (4 KiB). */
export const SAMPLE_CHUNK_SIZE = 0x1000;

/** Makes a BlobInfo with `chunkCount` 4 KiB chunks and a 64-hex id built from `seed`. */
export function sampleBlob(seed: string, chunkCount: number): BlobInfo {
  return {
    ...fixtureBlob(),
    blobId: createHash('sha256').update(seed).digest('hex'),
    chunkSize: SAMPLE_CHUNK_SIZE,
    chunkCount,
    uncompressedSize: chunkCount * SAMPLE_CHUNK_SIZE,
    ciUncompressedSize: chunkCount * 16,
    ciCompressedSize: chunkCount * 16,
  };
}

/** Makes chunk `chunkIndex` of caller blob `blobIndex`, with a digest derived from both. */
export function sampleChunk(blobIndex: number, chunkIndex: number, size = SAMPLE_CHUNK_SIZE): ChunkRef {
  return {
    blobIndex,
    chunkIndex,
    digest: createHash('sha256').update(`${blobIndex}/${chunkIndex}`).digest(),
    compressedOffset: chunkIndex * 1000,
    compressedSize: 900 + chunkIndex,
    uncompressedOffset: chunkIndex * SAMPLE_CHUNK_SIZE,
    uncompressedSize: size,
    compressed: chunkIndex % 2 === 0,
    crc32: 0x1000 + chunkIndex,
  };
}

function leaf(inode: Inode): TreeNode {
  return { inode, children: null, implicit: false };
}

/**
 * Builds a tree with every file type, xattrs (binary values, ACLs), a hardlink,
 * a 400-entry directory, inline and plain symlinks, names sorting before `.`,
 * and chunks in caller blobs 1 and 2 (blob 0 is unused). Returns the tree and
 * the shared Inode of the hardlink pair /bin/sh and /usr/bin/sh-link.
 */
export function sampleTree(): { root: TreeNode; sh: Inode } {
  const root = newDir({ mtime: 1700000000 });
  const add = (dir: TreeNode, name: string, node: TreeNode) => dir.children!.set(name, node);
  add(root, '!b', leaf(newInode('file', { perm: 0o600 })));
  add(root, '-a', leaf(newInode('fifo', { perm: 0o644, mtime: 5 })));
  add(root, '.hidden', leaf(newInode('file', { size: 100, chunks: [sampleChunk(2, 0, 100)] })));
  const bin = newDir({ perm: 0o711, uid: 1, gid: 2 });
  add(root, 'bin', bin);
  const sh = newInode('file', {
    perm: 0o4755, uid: 100000, gid: 100001, mtime: 1234567890, size: 3 * 4096 - 100,
    chunks: [sampleChunk(1, 0), sampleChunk(1, 1), sampleChunk(1, 2, 4096 - 100)],
  });
  add(bin, 'sh', leaf(sh));
  add(bin, 'ls', leaf(newInode('symlink', { perm: 0o777, linkTarget: 'busybox' })));
  const dev = newDir();
  add(root, 'dev', dev);
  add(dev, 'null', leaf(newInode('char', { perm: 0o666, devMajor: 1, devMinor: 3 })));
  add(dev, 'sda', leaf(newInode('block', { perm: 0o660, devMajor: 8, devMinor: 0x12345 })));
  add(dev, 'log', leaf(newInode('socket', { perm: 0o666 })));
  const big = newDir();
  add(root, 'big', big);
  for (let i = 0; i < 400; i++) add(big, `file-${String(i).padStart(4, '0')}`, leaf(newInode('file')));
  add(root, 'long', leaf(newInode('symlink', { perm: 0o777, linkTarget: 'x'.repeat(4050) })));
  add(root, 'mid', leaf(newInode('symlink', { perm: 0o777, linkTarget: 'y'.repeat(3000) })));
  const etc = newDir();
  add(root, 'etc', etc);
  const xattrs = new Map<string, Buffer>([
    ['user.bin', Buffer.from([0, 1, 2, 0xff, 0])],
    ['trusted.overlay.x', Buffer.from('y')],
    ['security.selinux', Buffer.from('system_u:object_r:etc_t:s0\0')],
    ['system.posix_acl_access', Buffer.from([2, 0, 0, 0, 1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff])],
  ]);
  // Shares chunk 0 of /bin/sh: one chunk table record serves both files.
  add(etc, 'conf', leaf(newInode('file', { xattrs, size: 4096, chunks: [sampleChunk(1, 0)] })));
  // Not contiguous (chunk 4 then 3), so it keeps the fs chunk size in i_u.
  add(etc, 'data', leaf(newInode('file', { size: 8192, chunks: [sampleChunk(1, 4), sampleChunk(1, 3)] })));
  const usr = newDir();
  add(root, 'usr', usr);
  const usrBin = newDir();
  add(usr, 'bin', usrBin);
  add(usrBin, 'sh-link', leaf(sh));
  add(root, 'emptydir', newDir({ xattrs: new Map([['user.dir', Buffer.from('1')]]) }));
  return { root, sh };
}

/** The caller blob list for sampleTree: index 0 unused, 1 and 2 referenced. */
export function sampleBlobs(): Array<BlobInfo | undefined> {
  return [undefined, sampleBlob('blob-a', 5), sampleBlob('blob-b', 1)];
}
