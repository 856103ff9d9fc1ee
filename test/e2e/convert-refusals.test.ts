/**
 * What `nydusify convert` refuses, as a user meets it: one clear line, the
 * documented exit code, and nothing left at the target.
 */
import { copyFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, removeTestImages } from '../helpers/images.js';
import { preferNydus } from '../../src/transport/image-set.js';
import { openSource } from '../../src/transport/open.js';
import { buildTar } from '../helpers/tar-builder.js';
import { nydusify } from '../helpers/cli.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const LAYERED = `docker-archive:${ROOT}fixtures/images/layered.docker.tar`;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'nydusify-refusals-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await removeTestImages();
});


/** Expects one `error:` line with `pattern`, exit `code`, and nothing at `target`. */
async function expectRefusal(args: string[], code: number, pattern: RegExp, target?: string): Promise<void> {
  const res = await nydusify(args);
  expect(res.code, res.stderr).toBe(code);
  expect(res.stderr.trim().split('\n')).toHaveLength(1);
  expect(res.stderr).toMatch(/^error: /);
  expect(res.stderr).toMatch(pattern);
  expect(res.stdout).toBe('');
  if (target) await expect(stat(target)).rejects.toThrow(/ENOENT/);
}

describe('convert refuses', () => {
  it('a layer with a GNU sparse file, naming the layer and entry', async () => {
    const layer = buildTar([{ path: 'ok', data: 'fine' }, { path: 'holes.img', typeflag: 'S', format: 'gnu', data: 'x'.repeat(10) }]);
    const source = await buildImage([layer], {});
    const out = join(work, 'sparse');
    await expectRefusal(['convert', '--source', source, '--target', `oci:${out}:t`], 1, /layer sha256:[0-9a-f]{64}: entry holes\.img: GNU sparse files are not supported/, out);
  });

  it('a layer with an unknown entry type', async () => {
    const source = await buildImage([buildTar([{ path: 'weird', typeflag: 'Z', data: 'z' }])], {});
    const out = join(work, 'unknown');
    await expectRefusal(['convert', '--source', source, '--target', `oci:${out}:t`], 1, /entry weird: unknown typeflag 'Z' is not supported/, out);
  });

  it('an image that is already Nydus', async () => {
    const nydus = join(work, 'nydus');
    expect((await nydusify(['convert', '--quiet', '--source', LAYERED, '--target', `oci:${nydus}:t`])).code).toBe(0);
    const out = join(work, 'again');
    await expectRefusal(['convert', '--source', `oci:${nydus}:t`, '--target', `oci:${out}:t`], 1, /is already a Nydus image/, out);
  });

  it('a --platform the single source image is not built for', async () => {
    const out = join(work, 'arm');
    await expectRefusal(['convert', '--source', LAYERED, '--target', `oci:${out}:t`, '--platform', 'linux/arm64'], 1, /is linux\/amd64, not linux\/arm64/, out);
  });

  it('an oci-archive target that is the source archive, leaving it untouched', async () => {
    const archive = join(work, 'src.tar');
    await copyFile(join(ROOT, 'fixtures/images/layered.oci.tar'), archive);
    const before = (await stat(archive)).mtimeMs;
    await expectRefusal(['convert', '--source', `oci-archive:${archive}:v1`, '--target', `oci-archive:${archive}:v1`], 2, /is the source archive/);
    expect((await stat(archive)).mtimeMs).toBe(before);
  });

  it('but not --merge-platform into the source tag: the originals stay in the index', async () => {
    const layout = join(work, 'merge-in-place');
    await run('skopeo', ['copy', '-q', `oci-archive:${ROOT}fixtures/images/layered.oci.tar:v1`, `oci:${layout}:v1`]);
    const res = await nydusify(['convert', '--quiet', '--source', `oci:${layout}:v1`, '--target', `oci:${layout}:v1`, '--merge-platform']);
    expect(res.code, res.stderr).toBe(0);
    const plain = openSource(`oci:${layout}:v1`);
    const original = await plain.resolve();
    await plain.close();
    expect(original.manifest.layers.map((l) => l.mediaType)).not.toContain('application/vnd.oci.image.layer.nydus.blob.v1');
    const nydus = preferNydus(openSource(`oci:${layout}:v1`));
    const converted = await nydus.resolve();
    await nydus.close();
    expect(converted.manifest.layers.at(-1)?.annotations?.['containerd.io/snapshot/nydus-bootstrap']).toBe('true');
  });

  it('an --output-json folder that does not exist, before writing anything', async () => {
    const out = join(work, 'json');
    await expectRefusal(['convert', '--source', LAYERED, '--target', `oci:${out}:t`, '--output-json', join(work, 'missing', 'r.json')], 2, /--output-json: .*missing does not exist/, out);
  });

  it('a --work-dir that is not a folder', async () => {
    const out = join(work, 'wd');
    await expectRefusal(['convert', '--source', LAYERED, '--target', `oci:${out}:t`, '--work-dir', join(ROOT, 'package.json')], 2, /--work-dir: .* is not a folder/, out);
  });

  it('and leaves no work files behind after a failure', async () => {
    const wd = await mkdtemp(join(work, 'wd-'));
    const source = await buildImage([buildTar([{ path: 'weird', typeflag: 'Z' }])], {});
    await nydusify(['convert', '--source', source, '--target', `oci:${join(work, 'x')}:t`, '--work-dir', wd]);
    expect(await readdir(wd)).toEqual([]);
  });
});
