/**
 * `nydusify export` end to end: every converted fixture image is exported, then read
 * back by erofs-utils (`fsck.erofs --extract`) and by the kernel (a read-only EROFS
 * mount over loop devices), and both trees must equal the source image's merged tree
 * as umoci unpacks it: names, types, modes, owners, sizes, link targets and the
 * sha256 of every file.
 *
 * The kernel mount needs root, loop devices and EROFS in the kernel. Where any is
 * missing the mount test fails and says which: an unverified mount must not count
 * as a pass.
 */
import { execFile } from 'node:child_process';
import { chmod, lstat, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBootstrap } from '../../src/rafs/reader.js';
import { treeMetadata } from '../helpers/compare.js';
import { listRootfs, referenceTree, rootfsFileDigest, type RefEntry } from '../helpers/reference-tree.js';
import { nydusify } from '../helpers/cli.js';
import { FIXTURE_IMAGES } from '../helpers/fixtures.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

const IMAGES = FIXTURE_IMAGES;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'nydusify-export-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});


/** Entry is what the comparison looks at for one path, with contents as sha256. */
type Entry = Omit<RefEntry, 'path'> & { sha256: string };

/** A tree below `root` with every file's contents hashed. */
async function listTree(root: string): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  for (const [path, e] of await listRootfs(root)) {
    const { path: _p, ...fields } = e;
    out.set(path, { ...fields, sha256: e.type === 'file' ? await rootfsFileDigest(root, path) : '' });
  }
  return out;
}

/**
 * The reference tree with contents hashed. The root's own metadata is left out on
 * both sides: fsck.erofs extracts into a folder it does not own, and a mount point's
 * owner is the image's root inode, so only the root's existence is compared.
 */
async function expectedTree(ref: { entries: Map<string, RefEntry>; rootfs: string }): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  for (const [path, e] of ref.entries) {
    const { path: _p, ...fields } = e;
    out.set(path, { ...fields, sha256: e.type === 'file' ? await rootfsFileDigest(ref.rootfs, path) : '' });
  }
  return out;
}

/**
 * Clears setuid and setgid on regular files. fsck.erofs 1.5 extracts with chmod
 * first and lchown second, and the kernel drops those bits on chown (seen with
 * strace: `chmod("x/bin/tool", 0104755)` then `lchown(…, 0, 0)`), so extraction
 * cannot show them; the kernel-mount test compares them in full.
 */
function withoutSetid(tree: Map<string, Entry>): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const [path, e] of tree) out.set(path, e.type === 'file' ? { ...e, perm: e.perm & ~0o6000 } : e);
  return out;
}

/** Sorted `path: fields` lines, so a failing comparison shows the paths that differ. */
function lines(tree: Map<string, Entry>): string[] {
  return [...tree.entries()]
    .filter(([path]) => path !== '/')
    .map(([path, e]) => `${path}: ${JSON.stringify(e)}`)
    .sort();
}

/** Converts `ref` and exports the result; returns the export folder and the CLI's stdout. */
async function convertAndExport(ref: string): Promise<{ out: string; stdout: string }> {
  const layout = await mkdtemp(join(work, 'nydus-'));
  const converted = await nydusify(['convert', '--quiet', '--source', ref, '--target', `oci:${layout}:nydus`]);
  expect(converted.stderr).toBe('');
  expect(converted.code).toBe(0);
  const out = join(await mkdtemp(join(work, 'export-')), 'view');
  const exported = await nydusify(['export', `oci:${layout}:nydus`, '--output', out]);
  expect(exported.stderr).not.toMatch(/error/);
  expect(exported.code).toBe(0);
  return { out, stdout: exported.stdout };
}

async function deviceFiles(out: string): Promise<string[]> {
  const names = (await readdir(out)).filter((n) => n.startsWith('blob-'));
  return names.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5))).map((n) => join(out, n));
}

describe.each(IMAGES)('export $name', ({ ref }) => {
  let expected: Map<string, Entry>;
  let out: string;
  let stdout: string;

  beforeAll(async () => {
    const dir = await mkdtemp(join(work, 'ref-'));
    expected = await expectedTree(await referenceTree(ref, dir));
    ({ out, stdout } = await convertAndExport(ref));
  });

  it('writes image.boot and blob-N files, and prints the fsck and mount command lines', async () => {
    const devices = await deviceFiles(out);
    expect((await readdir(out)).sort()).toEqual(['image.boot', ...devices.map((d) => d.slice(out.length + 1))].sort());
    for (const d of devices) expect((await stat(d)).size % 4096).toBe(0);
    const [fsck, mount] = stdout.trim().split('\n');
    expect(fsck).toBe(`fsck.erofs ${devices.map((d) => `--device=${d}`).join(' ')} --extract=${out}-rootfs ${out}/image.boot`);
    expect(mount).toContain(`mount -t erofs -o "ro${devices.map((d) => `,device=$(losetup -f --show -r ${d})`).join('')}" ${out}/image.boot`);
  });

  it('fsck.erofs --extract gives the source merged tree', async () => {
    const target = join(work, `extract-${Math.random().toString(36).slice(2)}`);
    const devices = (await deviceFiles(out)).map((d) => `--device=${d}`);
    await run('fsck.erofs', [...devices, `--extract=${target}`, join(out, 'image.boot')], { maxBuffer: 64 << 20 });
    expect(lines(withoutSetid(await listTree(target)))).toEqual(lines(withoutSetid(expected)));
    // What extraction loses, the exported bootstrap itself must still hold.
    const meta = treeMetadata(readBootstrap(await readFile(join(out, 'image.boot'))).root);
    for (const [path, e] of expected) expect({ path, perm: meta.get(path)?.perm }).toEqual({ path, perm: e.perm });
  });

  it('the kernel EROFS mount over loop devices gives the source merged tree', async () => {
    const mnt = await mkdtemp(join(work, 'mnt-'));
    const loops: string[] = [];
    let mounted = false;
    try {
      for (const file of [...(await deviceFiles(out)), join(out, 'image.boot')]) loops.push(await attachLoop(file));
      const boot = loops.at(-1) as string;
      const options = ['ro', ...loops.slice(0, -1).map((l) => `device=${l}`)].join(',');
      await mountOrExplain(['-t', 'erofs', '-o', options, boot, mnt]);
      mounted = true;
      expect(lines(await listTree(mnt))).toEqual(lines(expected));
    } finally {
      if (mounted) await run('umount', [mnt]);
      for (const l of loops) await run('losetup', ['-d', l]).catch(() => undefined);
    }
  });
});

async function attachLoop(file: string): Promise<string> {
  try {
    const { stdout } = await run('losetup', ['-f', '--show', '-r', file]);
    return stdout.trim();
  } catch (err) {
    throw new Error(`cannot verify the kernel mount on this machine: losetup failed (needs root and loop devices): ${(err as Error).message}`);
  }
}

async function mountOrExplain(args: string[]): Promise<void> {
  try {
    await run('mount', args);
  } catch (err) {
    const erofs = await readFile('/proc/filesystems', 'utf8').then((t) => /\berofs\b/.test(t), () => false);
    const why = erofs ? 'mount refused it' : 'the kernel has no EROFS (not in /proc/filesystems)';
    throw new Error(`cannot verify the kernel mount on this machine: ${why}: ${(err as Error).message}`);
  }
}

describe('export into an existing empty folder', () => {
  it('keeps the folder itself (its mode, and a symlink to it) and fills it', async () => {
    const real = await mkdtemp(join(work, 'empty-'));
    await chmod(real, 0o2775);
    const link = `${real}-link`;
    await symlink(real, link);
    const before = await stat(real);
    const fixture = join(ROOT, '../shared/fixtures/nydus');
    const res = await nydusify(['export', join(fixture, 'rafs-v6-2.2.boot'), '--blob-dir', join(fixture, 'blobs'), '--output', link, '--quiet']);
    expect(res.code, res.stderr).toBe(0);
    const after = await stat(real);
    expect([after.ino, after.mode]).toEqual([before.ino, before.mode]);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect((await readdir(real)).sort()).toEqual(['blob-1', 'image.boot']);
    expect((await readdir(work)).filter((n) => n.includes('.export-'))).toEqual([]);
  });
});

describe('export refuses', () => {
  it('an existing non-empty output folder, and leaves it alone', async () => {
    const out = await mkdtemp(join(work, 'busy-'));
    await writeFile(join(out, 'keep'), 'x');
    const fixture = join(ROOT, '../shared/fixtures/nydus');
    const res = await nydusify(['export', join(fixture, 'rafs-v6-2.2.boot'), '--blob-dir', join(fixture, 'blobs'), '--output', out]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^error: --output .*: the folder is not empty/);
    expect(await readdir(out)).toEqual(['keep']);
  });

  it('a blob whose chunk does not match its digest, leaving no output and no temp folder', async () => {
    const fixture = join(ROOT, '../shared/fixtures/nydus');
    const blobs = await mkdtemp(join(work, 'bad-blobs-'));
    const id = 'be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef';
    const bytes = await readFile(join(fixture, 'blobs', id));
    // The second chunk is stored at 0x12dc; a changed byte in it breaks its zstd frame or digest.
    bytes[0x12dc + 200] ^= 0xff;
    await writeFile(join(blobs, id), bytes);
    const parent = await mkdtemp(join(work, 'parent-'));
    const res = await nydusify(['export', join(fixture, 'rafs-v6-2.2.boot'), '--blob-dir', blobs, '--output', join(parent, 'view')]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^error: writing the device file of blob be7d77ee/);
    expect(await readdir(parent)).toEqual([]);
  });

  it('an output under a folder that does not exist, with one error line', async () => {
    const missing = join(work, 'no-such-parent', 'view');
    const fixture = join(ROOT, '../shared/fixtures/nydus');
    const res = await nydusify(['export', join(fixture, 'rafs-v6-2.2.boot'), '--blob-dir', join(fixture, 'blobs'), '--output', missing]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^error: --output .*: creating a temporary folder beside it: ENOENT/);
  });
});
