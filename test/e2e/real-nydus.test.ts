/**
 * Files written by the real nydus-image (../shared/fixtures/nydus, format doc §7):
 * `inspect` lists them, their chunks read back with matching blake3 digests, the
 * bootstrap inlined in an early blob is found through its ToC, and `export` makes
 * device files that fsck.erofs extracts the right files from.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { blake3 } from '@napi-rs/blake-hash';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBlobFile } from '../../src/blob/reader.js';
import { readBootstrap } from '../../src/rafs/reader.js';
import { walkTree } from '../../src/tree/walk.js';
import { nydusify } from '../helpers/cli.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURES = join(ROOT, '../shared/fixtures/nydus');
const BOOT = join(FIXTURES, 'rafs-v6-2.2.boot');
const BLOB_DIR = join(FIXTURES, 'blobs');
const BLOB_ID = 'be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef';
const INLINE = join(FIXTURES, 'inline-blob', '2fa78cad554b75ac91a4a125ed148d0ddeb25efa4aaa8bd80e5dc292690a4dca');

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'nydusify-real-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});


/** Reads every file of a bootstrap through a blob; returns path → contents. */
async function readFiles(bootBytes: Buffer, blobPath: string): Promise<Map<string, Buffer>> {
  const boot = readBootstrap(bootBytes);
  const blob = await openBlobFile(blobPath);
  const out = new Map<string, Buffer>();
  try {
    for (const { path, node } of walkTree(boot.root)) {
      if (node.inode.type !== 'file') continue;
      const parts: Buffer[] = [];
      for (const ref of node.inode.chunks) {
        const info = boot.blobs[ref.blobIndex]!;
        // readChunk checks the digest itself; blake3 is checked here again independently.
        // nydus 2.2 wrote no CRC-32C (chunk flag HAS_CRC32 clear), so none is expected.
        expect(ref.crc32).toBeUndefined();
        const data = await blob.readChunk(ref, info.digester, info.compressor);
        expect(info.digester).toBe('blake3');
        expect(blake3(data).toString('hex')).toBe(ref.digest.toString('hex'));
        parts.push(data);
      }
      out.set(path, Buffer.concat(parts));
    }
  } finally {
    await blob.close();
  }
  return out;
}

describe('rafs-v6-2.2.boot (nydus-image 2.2)', () => {
  it('inspect lists lib.rs (16931 bytes) and sync_io.rs (13400 bytes)', async () => {
    const res = await nydusify(['inspect', BOOT]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^-rw-r--r--\s+1\s+0\s+0\s+16931\s+\S+ \S+\s+\/lib\.rs$/m);
    expect(res.stdout).toMatch(/^-rw-r--r--\s+1\s+0\s+0\s+13400\s+\S+ \S+\s+\/sync_io\.rs$/m);
    expect(res.stdout).toMatch(/^flags:\s+0x194 \(HASH_BLAKE3, EXPLICIT_UID_GID, COMPRESSION_ZSTD, INLINED_CHUNK_DIGEST\)$/m);
    expect(res.stdout).toMatch(new RegExp(`^0\\s+blob-1\\s+${BLOB_ID}\\s+14554\\s+36864\\s+2\\s+zstd/blake3\\s+0x70000021 `, 'm'));
  });

  it('inspect --json gives the same listing for scripts', async () => {
    const res = await nydusify(['inspect', BOOT, '--json']);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report.schemaVersion).toBe(1);
    expect(report.input.kind).toBe('bootstrap');
    expect(report.superblock).toMatchObject({ inodes: 3, chunkSize: 0x100000, compressor: 'zstd', digester: 'blake3', blobCount: 1, flags: 0x194 });
    expect(report.blobs).toEqual([
      expect.objectContaining({ index: 0, device: 'blob-1', blobId: BLOB_ID, compressedSize: 14554, uncompressedSize: 0x9000, chunkCount: 2, features: 0x70000021 }),
    ]);
    expect(report.entries.map((e: { path: string; size: number }) => [e.path, e.size])).toEqual([
      ['/', 0],
      ['/lib.rs', 16931],
      ['/sync_io.rs', 13400],
    ]);
  });

  it('inspect --path shows the chunk of lib.rs with its blob and digest', async () => {
    const res = await nydusify(['inspect', BOOT, '--path', '/lib.rs', '--json']);
    expect(res.code).toBe(0);
    const entry = JSON.parse(res.stdout);
    expect(entry.chunks).toEqual([
      expect.objectContaining({ blobIndex: 0, blobId: BLOB_ID, chunkIndex: 0, compressedOffset: 0, compressedSize: 0x12dc, uncompressedOffset: 0, uncompressedSize: 16931 }),
    ]);
    const text = await nydusify(['inspect', BOOT, '--path', 'sync_io.rs']);
    expect(text.stdout).toMatch(/^size:\s+13400$/m);
    expect(text.stdout).toMatch(/^\s+0\s+0 \(be7d77eeb719\)\s+1\s+0x12dc\s+0xb9e\s+0x5000\s+0x3458\s+[0-9a-f]{64}$/m);
  });

  it('reads both files through blob be7d77ee…, every chunk matching its blake3 digest', async () => {
    const files = await readFiles(await readFile(BOOT), join(BLOB_DIR, BLOB_ID));
    expect([...files.keys()]).toEqual(['/lib.rs', '/sync_io.rs']);
    expect(files.get('/lib.rs')!.length).toBe(16931);
    expect(files.get('/sync_io.rs')!.length).toBe(13400);
    expect(files.get('/lib.rs')!.toString('utf8')).toMatch(/^\/\/ Copyright/);
  });

  it('exports with --blob-dir into device files that fsck.erofs extracts', async () => {
    const out = join(work, 'v6-view');
    const res = await nydusify(['export', BOOT, '--blob-dir', BLOB_DIR, '--output', out]);
    expect(res.code).toBe(0);
    expect((await stat(join(out, 'blob-1'))).size).toBe(0x9000);
    const target = join(work, 'v6-rootfs');
    await run('fsck.erofs', [`--device=${join(out, 'blob-1')}`, `--extract=${target}`, join(out, 'image.boot')]);
    expect((await stat(join(target, 'lib.rs'))).size).toBe(16931);
    expect((await stat(join(target, 'sync_io.rs'))).size).toBe(13400);
    const files = await readFiles(await readFile(BOOT), join(BLOB_DIR, BLOB_ID));
    expect((await readFile(join(target, 'lib.rs'))).equals(files.get('/lib.rs')!)).toBe(true);
    expect((await readFile(join(target, 'sync_io.rs'))).equals(files.get('/sync_io.rs')!)).toBe(true);
  });

  it('says which blob is missing when a bootstrap file is exported without --blob-dir', async () => {
    const res = await nydusify(['export', BOOT, '--output', join(work, 'never')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`^error: .*blob 0 \\(${BLOB_ID}\\) is needed but no --blob-dir was given`));
  });
});

describe('inline-blob 2fa78cad… (bootstrap inlined in the blob)', () => {
  it('finds image.boot through the ToC and decodes it', async () => {
    const blob = await openBlobFile(INLINE);
    try {
      expect(blob.toc!.entries.map((e) => e.name)).toContain('image.boot');
      expect(blob.bootstrap!.length).toBe(20480);
      const boot = readBootstrap(blob.bootstrap!);
      expect([...walkTree(boot.root)].map((w) => w.path)).toEqual(['/', '/error.rs', '/lib.rs', '/logger.rs']);
    } finally {
      await blob.close();
    }
  });

  it('inspect on the blob file lists error.rs, lib.rs and logger.rs', async () => {
    const res = await nydusify(['inspect', INLINE]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^input:\s+.*2fa78cad\S* \(blob; bootstrap of 20480 bytes\)$/m);
    for (const name of ['error.rs', 'lib.rs', 'logger.rs']) {
      expect(res.stdout).toMatch(new RegExp(`^-rw-r--r--\\s+1\\s+0\\s+0\\s+\\d+\\s+\\S+ \\S+\\s+/${name.replace('.', '\\.')}$`, 'm'));
    }
  });

  it('its files read back from the blob itself, and export + fsck.erofs extracts them', async () => {
    const blob = await openBlobFile(INLINE);
    const bootBytes = blob.bootstrap!;
    await blob.close();
    const files = await readFiles(bootBytes, INLINE);
    const out = join(work, 'inline-view');
    expect((await nydusify(['export', INLINE, '--output', out])).code).toBe(0);
    const target = join(work, 'inline-rootfs');
    await run('fsck.erofs', [`--device=${join(out, 'blob-1')}`, `--extract=${target}`, join(out, 'image.boot')]);
    for (const [path, data] of files) expect((await readFile(join(target, path))).equals(data)).toBe(true);
  });
});

describe('inspect refuses', () => {
  it('a RAFS v5 bootstrap with a clear one-line message', async () => {
    const v5 = Buffer.alloc(8192);
    v5.writeUInt32LE(0x52414653, 0);
    v5.writeUInt32LE(0x500, 4);
    const path = join(work, 'v5.boot');
    await writeFile(path, v5);
    const res = await nydusify(['inspect', path]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: reading the bootstrap of .*v5\.boot: bootstrap\.magic at offset 0x0: RAFS v5 bootstrap \(version 0x500\) is not supported; only RAFS v6\n$/);
  });
});
