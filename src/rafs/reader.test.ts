import { describe, expect, test } from 'vitest';
import { FormatError } from '../errors.js';
import type { Inode, TreeNode } from '../tree/types.js';
import { newDir } from '../tree/types.js';
import { readBootstrap } from './reader.js';
import { writeBootstrap } from './writer.js';
import { SAMPLE_CHUNK_SIZE, fixtureBlob, fixtureChunks, fixtureBoot, fixtureTree, sampleBlobs, sampleTree } from './test-support.js';

const OPTS = { chunkSize: SAMPLE_CHUNK_SIZE, compressor: 'zstd', digester: 'blake3' } as const;

function formatError(run: () => unknown): FormatError {
  try {
    run();
  } catch (e) {
    if (e instanceof FormatError) return e;
    throw e;
  }
  throw new Error('expected a FormatError');
}

/** Maps every chunk's caller blob index through `map` (what the writer's renumbering does). */
function renumbered(node: TreeNode, map: Record<number, number>, done = new Set<Inode>()): TreeNode {
  if (!done.has(node.inode)) {
    done.add(node.inode);
    for (const c of node.inode.chunks) c.blobIndex = map[c.blobIndex]!;
  }
  for (const child of node.children?.values() ?? []) renumbered(child, map, done);
  return node;
}

describe('readBootstrap on the real fixture', () => {
  const boot = readBootstrap(fixtureBoot());

  test('headers, blob table and chunk table', () => {
    expect(boot.superblock.inos).toBe(3);
    expect(boot.ext.flags).toBe(0x194);
    expect(boot.blobs).toEqual([fixtureBlob()]);
    expect(boot.chunkTable.map((c) => c.index)).toEqual([1, 0]);
    expect(boot.prefetch).toEqual([]);
    expect(boot.inodeCount).toBe(3);
  });

  test('files and their chunk refs', () => {
    const root = boot.root;
    expect([...root.children!.keys()]).toEqual(['lib.rs', 'sync_io.rs']);
    const lib = root.children!.get('lib.rs')!.inode;
    const sync = root.children!.get('sync_io.rs')!.inode;
    expect(lib.size).toBe(16931);
    expect(sync.size).toBe(13400);
    const [c0, c1] = fixtureChunks();
    expect(lib.chunks).toEqual([c0]);
    expect(sync.chunks).toEqual([c1]);
    expect(root).toEqual(fixtureTree());
  });
});

describe('writer → reader round trip', () => {
  test('the sample tree comes back equal, hardlink shared', () => {
    const { root } = sampleTree();
    const read = readBootstrap(writeBootstrap(root, sampleBlobs(), OPTS));
    // Caller blob 2 is first used (by /.hidden), so it becomes table entry 0.
    expect(read.root).toEqual(renumbered(sampleTree().root, { 2: 0, 1: 1 }));
    const a = read.root.children!.get('bin')!.children!.get('sh')!.inode;
    const b = read.root.children!.get('usr')!.children!.get('bin')!.children!.get('sh-link')!.inode;
    expect(a).toBe(b);
    expect(a.perm).toBe(0o4755);
    expect(read.blobs.map((x) => x.blobId)).toEqual([sampleBlobs()[2]!.blobId, sampleBlobs()[1]!.blobId]);
    expect(read.prefetch).toEqual([128]);
    // 424 names minus one hardlink name.
    expect(read.inodeCount).toBe(Number(read.superblock.inos) - 1);
  });

  test('the fixture tree and an empty root come back equal', () => {
    const fix = writeBootstrap(fixtureTree(), [fixtureBlob()], { ...OPTS, chunkSize: 0x100000 });
    expect(readBootstrap(fix).root).toEqual(fixtureTree());
    expect(readBootstrap(writeBootstrap(newDir(), [], OPTS)).root).toEqual(newDir());
  });
});

describe('hardlinks stored as distinct nids', () => {
  test('two nids with one i_ino and nlink 2 become one Inode object', () => {
    const b = Buffer.from(fixtureBoot());
    // Make sync_io.rs (nid 136) a second copy of lib.rs (nid 133), both nlink 2.
    b.copy(b, 0x3100, 0x30a0, 0x30e8);
    b.writeUInt32LE(2, 0x30a0 + 44);
    b.writeUInt32LE(2, 0x3100 + 44);
    const root = readBootstrap(b).root;
    const lib = root.children!.get('lib.rs')!.inode;
    expect(root.children!.get('sync_io.rs')!.inode).toBe(lib);
    expect(lib.size).toBe(16931);
  });
});

describe('readBootstrap failures', () => {
  const good = () => Buffer.from(fixtureBoot());

  test('RAFS v5 is named and refused', () => {
    const v5 = Buffer.alloc(8192);
    v5.writeUInt32LE(0x52414653, 0);
    v5.writeUInt32LE(0x500, 4);
    expect(formatError(() => readBootstrap(v5)).message).toMatch(/RAFS v5 bootstrap .* not supported/);
  });

  test('bad magic, bad size', () => {
    const b = good();
    b[0x400] = 0;
    expect(formatError(() => readBootstrap(b)).message).toBe('superblock.s_magic at offset 0x400: bad magic 0xe0f5e100');
    expect(formatError(() => readBootstrap(good().subarray(0, 20000))).field).toBe('size');
  });

  test('a blob entry with the wrong index', () => {
    const b = good();
    b.writeUInt32LE(7, 0x1040);
    const err = formatError(() => readBootstrap(b));
    expect([err.struct, err.field, err.offset]).toEqual(['blob_entry', 'blob_index', 0x1040]);
  });

  test('a dirent that points "." elsewhere', () => {
    const b = good();
    b.writeUInt32LE(0x85, 0x3040);
    expect(formatError(() => readBootstrap(b)).message).toMatch(/"\." of nid 128 is 133/);
  });

  test('a chunk format with a bit the kernel does not know', () => {
    const b = good();
    // lib.rs is nid 133: its inode sits at 0x2000 + 133 * 32 = 0x30a0, i_u at +16.
    expect(b[0x30b0]).toBe(0x28);
    b[0x30b0] = 0xa8;
    const err = formatError(() => readBootstrap(b));
    expect([err.struct, err.field, err.offset]).toEqual(['inode', 'i_u', 0x30b0]);
  });

  test('a chunk index missing from the chunk table', () => {
    const b = good();
    b.writeUInt16LE(9, 0x3140);
    const err = formatError(() => readBootstrap(b));
    expect([err.struct, err.field, err.offset]).toEqual(['chunk_index', 'c_blob_addr_lo', 0x3140]);
    expect(err.message).toMatch(/chunk 0x9 of blob 0/);
  });

  test('an inode with a compression layout', () => {
    const b = good();
    b.writeUInt16LE(0x3, 0x30a0);
    expect(formatError(() => readBootstrap(b)).message).toBe('inode.i_format at offset 0x30a0: unsupported 0x3');
  });

  test('a u64 chunk table offset above 2^53', () => {
    const b = good();
    b.writeBigUInt64LE(1n << 56n, 0x498);
    expect(formatError(() => readBootstrap(b)).field).toBe('s_chunk_table_offset');
  });
});
