/**
 * `nydusify inspect` on an image the converter wrote: the text listing holds every
 * path with its mode, `--json` matches the tree that readBootstrap decodes, `--path`
 * shows an entry's chunks, and errors are one line with exit status 1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modeString } from '../../src/inspect/display.js';
import type { Bootstrap } from '../../src/rafs/reader.js';
import { fromByteString } from '../../src/tree/types.js';
import { walkTree } from '../../src/tree/walk.js';
import { loadNydusLayout } from '../helpers/nydus-image.js';
import { nydusify } from '../helpers/cli.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SOURCE = `docker-archive:${ROOT}fixtures/images/layered.docker.tar`;

let work: string;
let layout: string;
let image: string;
let bootstrap: Bootstrap;


beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'nydusify-inspect-'));
  layout = join(work, 'nydus');
  image = `oci:${layout}:nydus`;
  // 4 KiB chunks, so that the larger files have several chunks each.
  const res = await nydusify(['convert', '--quiet', '--source', SOURCE, '--target', image, '--chunk-size', '0x1000']);
  expect(res.code).toBe(0);
  bootstrap = (await loadNydusLayout(layout, 'nydus')).bootstrap;
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('inspect on a converted image', () => {
  it('lists every path with its mode string, owner and size', async () => {
    const res = await nydusify(['inspect', image]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const listing = res.stdout.slice(res.stdout.indexOf('\ntree:\n') + 7).trimEnd().split('\n');
    const tree = [...walkTree(bootstrap.root)];
    expect(listing).toHaveLength(tree.length);
    tree.forEach(({ path, node }, n) => {
      const i = node.inode;
      const fields = listing[n]!.split(/\s+/);
      expect(fields[0]).toBe(modeString(i.type, i.perm));
      expect(fields.slice(2, 4)).toEqual([String(i.uid), String(i.gid)]);
      if (i.type === 'file') expect(fields[4]).toBe(String(i.size));
      const shown = i.type === 'symlink' ? `${fromByteString(path)} -> ${fromByteString(i.linkTarget)}` : fromByteString(path);
      expect(listing[n]!.endsWith(` ${shown}`)).toBe(true);
    });
    expect(res.stdout).toMatch(/^-rwsr-xr-x\s+1\s+0\s+0\s+70000\s+2024-01-02 03:04:05\s+\/bin\/tool$/m);
    expect(res.stdout).toMatch(/^blobs:\s+3$/m);
    expect(res.stdout).toMatch(/^chunk size:\s+0x1000 \(4\.0 KiB\)$/m);
  });

  it('--json matches the tree readBootstrap decodes', async () => {
    const res = await nydusify(['inspect', image, '--json']);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report.input.kind).toBe('image');
    expect(report.superblock.blobCount).toBe(bootstrap.blobs.length);
    expect(report.blobs.map((b: { blobId: string }) => b.blobId)).toEqual(bootstrap.blobs.map((b) => b.blobId));
    const want = [...walkTree(bootstrap.root)].map(({ path, node }) => {
      const i = node.inode;
      return {
        path: fromByteString(path),
        type: i.type,
        perm: i.perm,
        uid: i.uid,
        gid: i.gid,
        size: i.type === 'file' ? i.size : 0,
        mtime: i.mtime,
        ...(i.type === 'symlink' ? { linkTarget: fromByteString(i.linkTarget) } : {}),
        ...(i.type === 'char' || i.type === 'block' ? { rdev: { major: i.devMajor, minor: i.devMinor } } : {}),
      };
    });
    const got = report.entries.map(({ mode: _m, nlink: _n, ...rest }: Record<string, unknown>) => rest);
    expect(got).toEqual(want);
  });

  it("--path shows a file's chunks, each with its blob, offsets and digest", async () => {
    const node = bootstrap.root.children!.get('data')!.children!.get('random.bin')!;
    expect(node.inode.chunks.length).toBeGreaterThan(10);
    const json = await nydusify(['inspect', image, '--path', '/data/random.bin', '--json']);
    expect(json.code).toBe(0);
    const entry = JSON.parse(json.stdout);
    expect(entry).toMatchObject({ path: '/data/random.bin', type: 'file', size: 300000, xattrs: [] });
    expect(entry.chunks).toEqual(
      node.inode.chunks.map((c, n) => ({
        fileIndex: n,
        blobIndex: c.blobIndex,
        blobId: bootstrap.blobs[c.blobIndex]!.blobId,
        chunkIndex: c.chunkIndex,
        compressedOffset: c.compressedOffset,
        compressedSize: c.compressedSize,
        uncompressedOffset: c.uncompressedOffset,
        uncompressedSize: c.uncompressedSize,
        compressed: c.compressed,
        digest: c.digest.toString('hex'),
      })),
    );
    const text = await nydusify(['inspect', image, '--path', 'data/random.bin']);
    expect(text.stdout).toMatch(/^mode:\s+-rw-r--r-- \(0644\)$/m);
    expect(text.stdout).toContain(`chunks: ${node.inode.chunks.length}\n`);
    for (const c of node.inode.chunks) expect(text.stdout).toContain(c.digest.toString('hex'));
  });

  it('--path on a directory and on a symlink shows the inode without chunks', async () => {
    const dir = await nydusify(['inspect', image, '--path', '/data']);
    expect(dir.code).toBe(0);
    expect(dir.stdout).toMatch(/^type:\s+dir$/m);
    expect(dir.stdout).not.toMatch(/^chunks:/m);
    const links = [...walkTree(bootstrap.root)].filter((w) => w.node.inode.type === 'symlink');
    expect(links.length).toBeGreaterThan(0);
    const link = links[0]!;
    const res = await nydusify(['inspect', image, '--path', fromByteString(link.path)]);
    expect(res.stdout).toMatch(new RegExp(`^target:\\s+${escapeRe(fromByteString(link.node.inode.linkTarget))}$`, 'm'));
  });
});

describe('inspect errors', () => {
  it('a path that is not in the image: one line, exit 1', async () => {
    const res = await nydusify(['inspect', image, '--path', '/no/such/file']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe('error: path "/no/such/file" is not in the image\n');
  });

  it('an image that is not Nydus: one line, exit 1', async () => {
    const res = await nydusify(['inspect', SOURCE]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^error: target: .* is not a Nydus image/);
  });

  it('a file that is neither bootstrap nor blob: one line, exit 1', async () => {
    const res = await nydusify(['inspect', join(ROOT, 'package.json')]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^error: target: .*package\.json is not a Nydus bootstrap or data blob/);
  });
});

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
