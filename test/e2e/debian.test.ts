/**
 * The realistic image: ../shared/fixtures/make-debian-image.sh builds a three-layer
 * Debian image (about 265 MB: whiteouts of files and directories, a file replacing a
 * directory, duplicated data, hardlinks, symlinks). It is built once per machine and
 * kept under /var/tmp, then converted with every compressor and checked like the
 * small fixtures.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../src/transport/open.js';
import { referenceTree, type RefEntry } from '../helpers/reference-tree.js';
import { verifyNydusLayout } from '../helpers/verify.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const SCRIPT = join(ROOT, '../shared/fixtures/make-debian-image.sh');

/** Builds the image unless a build of the same script is cached; returns its folder. */
async function debianImage(): Promise<string> {
  const key = createHash('sha256').update(await readFile(SCRIPT)).digest('hex').slice(0, 16);
  const dir = join('/var/tmp/nydusify-fixtures', key);
  const done = join(dir, 'debian-python.oci.tar');
  try {
    await access(done);
    return dir;
  } catch {
    await mkdir(dir, { recursive: true });
    await run('bash', [SCRIPT, dir], { maxBuffer: 64 << 20 });
    return dir;
  }
}

describe('convert the Debian image', { timeout: 20 * 60_000 }, () => {
  let work: string;
  let images: string;
  let reference: { entries: Map<string, RefEntry>; rootfs: string };
  let sourceConfig: Record<string, any>;
  let sourceLayers: number;
  const ref = () => `oci-archive:${images}/debian-python.oci.tar:v1`;

  beforeAll(async () => {
    images = await debianImage();
    work = await mkdtemp(join(tmpdir(), 'nydusify-debian-'));
    reference = await referenceTree(ref(), work);
    const source = openSource(ref());
    const image = await source.resolve();
    sourceConfig = JSON.parse(image.configBytes.toString('utf8'));
    sourceLayers = image.manifest.layers.length;
    await source.close();
  }, 20 * 60_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it.each(['zstd', 'lz4_block', 'none'] as const)('as oci-archive with --compressor %s', async (compressor) => {
    const out = join(work, `out-${compressor}`);
    const { stdout } = await run('node', [join(ROOT, 'bin/nydusify.js'), 'convert', '--quiet', '--source', ref(), '--target', `oci:${out}:nydus`, '--compressor', compressor]);
    expect(stdout).toMatch(/@sha256:[0-9a-f]{64}\n$/);
    await verifyNydusLayout(out, 'nydus', { compressor, sourceConfig, sourceLayers, reference });
  });

  it('as docker-archive with default flags', async () => {
    const out = join(work, 'out-docker');
    await run('node', [join(ROOT, 'bin/nydusify.js'), 'convert', '--quiet', '--source', `docker-archive:${images}/debian-python.docker.tar`, '--target', `oci:${out}:nydus`]);
    await verifyNydusLayout(out, 'nydus', { compressor: 'zstd', sourceConfig, sourceLayers, reference });
  });
});
