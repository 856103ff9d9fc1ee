/**
 * End to end, as a user runs it: `bin/nydusify.js convert` on real images (the
 * shared fixtures and the project's generated ones) with every compressor, then the
 * result read back by erofs-utils, by umoci's unpacking of the source, and by the
 * project's own readers.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../src/transport/open.js';
import { referenceTree, type RefEntry } from '../helpers/reference-tree.js';
import { verifyNydusLayout } from '../helpers/verify.js';
import { nydusify } from '../helpers/cli.js';
import { COMPRESSORS, FIXTURE_IMAGES } from '../helpers/fixtures.js';

const ROOT = new URL('../../', import.meta.url).pathname;

const IMAGES = FIXTURE_IMAGES;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'nydusify-e2e-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});


describe.each(IMAGES)('convert $name', ({ ref }) => {
  let reference: { entries: Map<string, RefEntry>; rootfs: string };
  let sourceConfig: Record<string, any>;
  let sourceLayers: number;

  beforeAll(async () => {
    const dir = await mkdtemp(join(work, 'ref-'));
    reference = await referenceTree(ref, dir);
    const source = openSource(ref);
    const image = await source.resolve();
    sourceConfig = JSON.parse(image.configBytes.toString('utf8'));
    sourceLayers = image.manifest.layers.length;
    await source.close();
  });

  it.each(COMPRESSORS)('with --compressor %s reads back identical', async (compressor) => {
    const out = join(work, `out-${Math.random().toString(36).slice(2)}`);
    const result = await nydusify(['convert', '--source', ref, '--target', `oci:${out}:nydus`, '--compressor', compressor]);
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^oci:${out}:nydus@sha256:[0-9a-f]{64}\\n$`));

    await verifyNydusLayout(out, 'nydus', { compressor, sourceConfig, sourceLayers, reference });
  });
});

describe('convert output', () => {
  const layered = `docker-archive:${ROOT}fixtures/images/layered.docker.tar`;

  it('is byte-identical for the same input and flags', async () => {
    const a = join(work, 'det-a');
    const b = join(work, 'det-b');
    expect((await nydusify(['convert', '--source', layered, '--target', `oci:${a}:t`, '--chunk-size', '0x1000'])).code).toBe(0);
    expect((await nydusify(['convert', '--source', layered, '--target', `oci:${b}:t`, '--chunk-size', '0x1000'])).code).toBe(0);
    const files = await readdir(join(a, 'blobs', 'sha256'));
    expect(await readdir(join(b, 'blobs', 'sha256'))).toEqual(files);
    for (const f of files) {
      expect((await readFile(join(a, 'blobs', 'sha256', f))).equals(await readFile(join(b, 'blobs', 'sha256', f)))).toBe(true);
    }
    expect(await readFile(join(a, 'index.json'), 'utf8')).toBe(await readFile(join(b, 'index.json'), 'utf8'));
  });

  it('writes an oci-archive that the oci-archive source reads back', async () => {
    const archive = join(work, 'out.oci.tar');
    const res = await nydusify(['convert', '--source', layered, '--target', `oci-archive:${archive}:v1`, '--output-json', join(work, 'r.json')]);
    expect(res.code).toBe(0);
    const report = JSON.parse(await readFile(join(work, 'r.json'), 'utf8'));
    expect(report.layers).toHaveLength(3);
    expect(report.layers[0].files).toBeGreaterThan(20);
    expect(report.target.manifestDigest).toMatch(/^sha256:/);
    const src = openSource(`oci-archive:${archive}:v1`);
    const image = await src.resolve();
    expect(image.manifestDigest).toBe(report.target.manifestDigest);
    await src.close();
  });

  it('leaves nothing at the target when the source is corrupt, and says why in one line', async () => {
    const out = join(work, 'never');
    const res = await nydusify(['convert', '--source', `docker-archive:${ROOT}package.json`, '--target', `oci:${out}:x`]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^error: /);
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a bad flag value with a usage error', async () => {
    const res = await nydusify(['convert', '--source', layered, '--target', `oci:${work}/x`, '--chunk-size', '0x3000']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--chunk-size 0x3000: must be a power of two/);
  });
});
