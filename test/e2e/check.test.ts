/**
 * End to end, as a user runs it: `bin/nydusify.js check` on images converted from
 * the shared and project fixtures with every compressor (they must pass), and on
 * converted images corrupted on purpose (they must fail with exit status 3, naming
 * the path and field): a flipped byte of file data inside a stored chunk, a mode
 * bit flipped in an inode of the bootstrap, a layer dropped from the manifest.
 *
 * A corrupted image is made consistent again everywhere except in the one place
 * under test (the blob renamed to its new digest, the bootstrap and manifest
 * following it), so the check has to find the damage itself rather than trip
 * over a transport digest mismatch.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImage } from '../../src/check/check.js';
import { convertImage } from '../../src/convert/convert.js';
import { buildBootstrapLayer } from '../../src/convert/bootstrap-layer.js';
import type { Compressor } from '../../src/blob/types.js';
import type { Manifest } from '../../src/oci/types.js';
import { BLOCK_SIZE } from '../../src/rafs/bytes.js';
import { openSource, openTarget } from '../../src/transport/open.js';
import type { TreeNode } from '../../src/tree/types.js';
import { walkTree } from '../../src/tree/walk.js';
import { dumpErofsTree, placeholderDevices } from '../helpers/erofs.js';
import { loadNydusLayout, type LoadedImage } from '../helpers/nydus-image.js';
import { nydusify } from '../helpers/cli.js';
import { COMPRESSORS, FIXTURE_IMAGES } from '../helpers/fixtures.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SHARED = join(ROOT, '../shared/fixtures/images');

const IMAGES = FIXTURE_IMAGES;
const LAYERED = `oci-archive:${ROOT}fixtures/images/layered.oci.tar:v1`;
const TAG = 'nydus';
/** Offset of i_mode in both the compact and the extended EROFS inode. */
const I_MODE_OFFSET = 4;
/** Size of the EROFS inode slot unit that a nid counts in. */
const NID_UNIT = 32;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'nydusify-check-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});


/** Converts `ref` into a fresh OCI layout with the library; returns the layout folder. */
async function convert(ref: string, compressor: Compressor): Promise<string> {
  const dir = await mkdtemp(join(work, 'out-'));
  const source = openSource(ref);
  try {
    await convertImage(source, openTarget(`oci:${dir}:${TAG}`), { chunkSize: 0x100000, compressor, digester: 'blake3' });
  } finally {
    await source.close();
  }
  return dir;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Layout is the manifest and config of the tagged image of an OCI layout, for editing. */
interface Layout {
  dir: string;
  manifest: Manifest;
  config: { rootfs: { diff_ids: string[] } } & Record<string, unknown>;
}

async function loadLayout(dir: string): Promise<Layout> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
  const desc = index.manifests.find((m: any) => m.annotations?.['org.opencontainers.image.ref.name'] === TAG);
  const manifest = JSON.parse(await readFile(blobPath(dir, desc.digest), 'utf8')) as Manifest;
  const config = JSON.parse(await readFile(blobPath(dir, manifest.config.digest), 'utf8'));
  return { dir, manifest, config };
}

function blobPath(dir: string, digest: string): string {
  return join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

/** Stores bytes as a blob of the layout; returns its digest. */
async function putBlob(dir: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  await writeFile(blobPath(dir, digest), bytes);
  return digest;
}

/** Writes the edited config and manifest and points the tag at the new manifest. */
async function saveLayout(l: Layout): Promise<void> {
  const configBytes = Buffer.from(JSON.stringify(l.config));
  l.manifest.config = { ...l.manifest.config, digest: await putBlob(l.dir, configBytes), size: configBytes.length };
  const manifestBytes = Buffer.from(JSON.stringify(l.manifest));
  const index = JSON.parse(await readFile(join(l.dir, 'index.json'), 'utf8'));
  const desc = index.manifests.find((m: any) => m.annotations?.['org.opencontainers.image.ref.name'] === TAG);
  desc.digest = await putBlob(l.dir, manifestBytes);
  desc.size = manifestBytes.length;
  await writeFile(join(l.dir, 'index.json'), JSON.stringify(index));
}

/** Replaces the bootstrap layer with one holding `bootstrap`. */
async function replaceBootstrap(l: Layout, bootstrap: Buffer): Promise<void> {
  const layer = await buildBootstrapLayer(bootstrap);
  const last = l.manifest.layers.length - 1;
  const desc = l.manifest.layers[last]!;
  l.manifest.layers[last] = { ...desc, digest: await putBlob(l.dir, layer.bytes), size: layer.bytes.length };
  l.config.rootfs.diff_ids[last] = layer.diffId;
}

/** The first regular file of the Nydus tree with data, by path order. */
function firstFile(image: LoadedImage): { path: string; node: TreeNode } {
  for (const item of walkTree(image.bootstrap.root)) {
    if (item.node.inode.type === 'file' && item.node.inode.chunks.length > 0) return item;
  }
  throw new Error('no regular file with data in the image');
}

describe.each(IMAGES)('check --source passes for $name', ({ ref }) => {
  it.each(COMPRESSORS)('converted with --compressor %s', async (compressor) => {
    const dir = await convert(ref, compressor);
    const res = await nydusify(['check', '--target', `oci:${dir}:${TAG}`, '--source', ref]);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/^manifest {4}ok \(\d+ checks\)$/m);
    expect(res.stdout).toMatch(/^bootstrap {3}ok \(\d+ checks\)$/m);
    expect(res.stdout).toMatch(/^filesystem {2}ok \(\d+ checks, \d+ paths, [1-9]\d* files/m);
    expect(res.stdout).toMatch(/\nresult: ok\n$/);
    expect(res.code).toBe(0);
  });
});

describe('check fails naming the path and field', () => {
  it('(a) when one byte of file data in a stored chunk changes', async () => {
    const dir = await convert(LAYERED, 'none');
    const image = await loadNydusLayout(dir, TAG);
    const { path, node } = firstFile(image);
    const chunk = node.inode.chunks[0]!;
    expect(chunk.compressed).toBe(false);
    const oldId = image.bootstrap.blobs[chunk.blobIndex]!.blobId;
    const blob = await readFile(image.blobPaths[chunk.blobIndex]!);
    blob[chunk.compressedOffset] ^= 0x20;
    const layout = await loadLayout(dir);
    const newDigest = await putBlob(dir, blob);
    const newId = newDigest.slice('sha256:'.length);
    // The blob id sits in the blob table and in the device slot.
    const boot = Buffer.from(image.bootstrapBytes.toString('latin1').replaceAll(oldId, newId), 'latin1');
    expect(boot.toString('latin1').split(newId)).toHaveLength(3);
    const k = layout.manifest.layers.findIndex((l) => l.digest === `sha256:${oldId}`);
    layout.manifest.layers[k] = { ...layout.manifest.layers[k]!, digest: newDigest, size: blob.length };
    layout.config.rootfs.diff_ids[k] = newDigest;
    await replaceBootstrap(layout, boot);
    await saveLayout(layout);

    const json = join(dir, 'result.json');
    const res = await nydusify(['check', '--target', `oci:${dir}:${TAG}`, '--source', LAYERED, '--output-json', json]);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/^check: the images differ \(\d+ differences?\)\n$/);
    expect(res.stdout).toContain(`[filesystem] ${path}: content: expected sha256:`);
    expect(res.stdout).toMatch(/found unreadable: .*chunk \d+ at 0x[0-9a-f]+: digest mismatch: expected blake3:/);
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report.ok).toBe(false);
    // Everything but the damaged data still agrees.
    for (const d of report.differences) expect([d.rule, d.field]).toEqual(['filesystem', 'content']);
    expect(report.differences.map((d: { path: string }) => d.path)).toContain(path);
  });

  it('(b) when a mode bit of an inode in the bootstrap changes', async () => {
    const dir = await convert(LAYERED, 'zstd');
    const image = await loadNydusLayout(dir, TAG);
    const { path, node } = firstFile(image);
    const bootPath = join(dir, 'image.boot');
    await writeFile(bootPath, image.bootstrapBytes);
    const entries = await dumpErofsTree(bootPath, await placeholderDevices(dir, image.bootstrap.blobs.length));
    const nid = entries.find((e) => e.path === path)!.nid;
    const boot = Buffer.from(image.bootstrapBytes);
    const at = image.bootstrap.superblock.metaBlkaddr * BLOCK_SIZE + nid * NID_UNIT + I_MODE_OFFSET;
    expect(boot.readUInt16LE(at) & 0o7777).toBe(node.inode.perm);
    boot.writeUInt16LE(boot.readUInt16LE(at) ^ 0o001, at);
    const layout = await loadLayout(dir);
    await replaceBootstrap(layout, boot);
    await saveLayout(layout);

    const res = await nydusify(['check', '--target', `oci:${dir}:${TAG}`, '--source', LAYERED]);
    expect(res.code).toBe(3);
    const want = `0${node.inode.perm.toString(8)}`;
    const got = `0${(node.inode.perm ^ 0o001).toString(8)}`;
    expect(res.stdout).toContain(`[filesystem] ${path}: mode: expected ${want}, found ${got}`);
    expect(res.stdout).toMatch(/^manifest {4}ok /m);
    expect(res.stdout).toMatch(/^bootstrap {3}ok /m);
    expect(res.stdout).toMatch(/^filesystem {2}1 difference /m);
  });

  it('(c) when a layer is dropped from the manifest', async () => {
    const dir = await convert(LAYERED, 'lz4_block');
    const image = await loadNydusLayout(dir, TAG);
    const layout = await loadLayout(dir);
    const dropped = layout.manifest.layers.splice(0, 1)[0]!;
    // The blob table lists blobs in the order the writer first used them.
    const blobIndex = image.bootstrap.blobs.findIndex((b) => `sha256:${b.blobId}` === dropped.digest);
    expect(blobIndex).toBeGreaterThanOrEqual(0);
    await saveLayout(layout);

    const json = join(dir, 'result.json');
    const res = await nydusify(['check', '--target', `oci:${dir}:${TAG}`, '--source', LAYERED, '--output-json', json]);
    expect(res.code).toBe(3);
    expect(res.stdout).toContain('[manifest] config.rootfs.diff_ids.length: expected 3, found 4');
    expect(res.stdout).toContain(`[bootstrap] blobs[${blobIndex}].blob_id: expected the digest of a blob layer in the manifest, found ${dropped.digest}`);
    expect(res.stdout).toMatch(/\[filesystem\] \/\S+: content: expected sha256:[0-9a-f]{64}, found unreadable: .*not a layer of the manifest/);
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report.rules.map((r: { rule: string; differences: number }) => r.differences > 0)).toEqual([true, true, true]);
  });

  it('reports a bootstrap that does not decode as a difference', async () => {
    const dir = await convert(LAYERED, 'zstd');
    const image = await loadNydusLayout(dir, TAG);
    const boot = Buffer.from(image.bootstrapBytes);
    boot.writeUInt32LE(0x12345678, 1024); // the EROFS superblock magic
    const layout = await loadLayout(dir);
    await replaceBootstrap(layout, boot);
    await saveLayout(layout);

    const res = await nydusify(['check', '--target', `oci:${dir}:${TAG}`]);
    expect(res.code).toBe(3);
    expect(res.stdout).toMatch(/\[bootstrap\] bootstrap: expected a valid RAFS v6 bootstrap, found .*superblock\.s_magic/);
    expect(res.stdout).toMatch(/^filesystem {2}skipped /m);
  });
});

describe('check command', () => {
  const layered = `docker-archive:${ROOT}fixtures/images/layered.docker.tar`;
  let dir: string;
  beforeAll(async () => {
    dir = await convert(layered, 'zstd');
  });

  it('runs the manifest and bootstrap rules alone without --source', async () => {
    const res = await nydusify(['check', '--target', `oci:${dir}:${TAG}`]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^filesystem {2}skipped \(no --source given\)$/m);
  });

  it('shows the first --max-differences and writes all with --output-json', async () => {
    const json = join(dir, 'all.json');
    const res = await nydusify(['check', '--target', `oci:${dir}:${TAG}`, '--source', `docker-archive:${SHARED}/alpine-3.docker.tar`, '--max-differences', '3', '--output-json', json]);
    expect(res.code).toBe(3);
    const report = JSON.parse(await readFile(json, 'utf8'));
    const total: number = report.differences.length;
    expect(total).toBeGreaterThan(3);
    const shown = res.stdout.split('\n').filter((l) => /^ {2}\[(manifest|bootstrap|filesystem)\] /.test(l));
    expect(shown).toHaveLength(3);
    expect(res.stdout).toContain(`… and ${total - 3} more`);
    expect(res.stdout).toContain(`differences (${total}):`);
    expect(report.differences.some((d: any) => d.rule === 'filesystem' && d.field === 'presence' && d.found === '(absent)')).toBe(true);
  });

  it('names the target, not the source, when the target cannot be read', async () => {
    const res = await nydusify(['check', '--target', `oci:${work}/no-such-layout:x`]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: target: .*no-such-layout does not exist/);
  });

  it('fails with exit status 1 when the target is not a Nydus image', async () => {
    const res = await nydusify(['check', '--target', layered]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: target: .* is not a Nydus image: .*\n$/);
    expect(res.stdout).toBe('');
  });

  it('refuses a bad --max-differences with a usage error', async () => {
    const res = await nydusify(['check', '--target', `oci:${dir}:${TAG}`, '--max-differences', 'many']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--max-differences many: must be a whole number/);
  });

  it('documents its exit statuses and examples in --help', async () => {
    const res = await nydusify(['check', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Examples:\n {2}\$ nydusify check --target/);
    expect(res.stdout).toMatch(/3 when the images\s+differ/);
  });

  it('is callable as a library and counts what it read back', async () => {
    const target = openSource(`oci:${dir}:${TAG}`);
    const source = openSource(layered);
    try {
      const result = await checkImage(target, { source });
      expect(result.differences).toEqual([]);
      expect(result.rules.map((r) => [r.rule, r.ran])).toEqual([['manifest', true], ['bootstrap', true], ['filesystem', true]]);
      expect(result.filesystem?.files).toBeGreaterThan(10);
      expect(result.filesystem?.chunks).toBeGreaterThan(0);
      expect(result.filesystem?.bytes).toBeGreaterThan(500_000);
    } finally {
      await target.close();
      await source.close();
    }
  });
});
