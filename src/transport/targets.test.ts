import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage, makeLayerTar, removeTestImages, sha256, tempDir } from '../../test/helpers/images.js';
import { DigestMismatchError, ImageError, UsageError } from '../errors.js';
import { MEDIA_TYPE, type Descriptor } from '../oci/types.js';
import { TarIndex } from './tar-index.js';
import { openSource, openTarget } from './open.js';
import type { ImageTarget, SourceImage } from './types.js';
import { RegistryTarget } from './registry-target.js';

const run = promisify(execFile);
afterAll(removeTestImages);

const layer = await makeLayerTar({ 'hello.txt': 'hello\n', 'data/bin': Buffer.alloc(4096, 9) });

/** Copies a resolved image into a target blob by blob, as the converter will. */
async function copy(ref: string, target: ImageTarget, stopBeforeManifest = false): Promise<SourceImage> {
  const source = openSource(ref);
  const image = await source.resolve();
  const dir = await tempDir();
  for (const desc of image.manifest.layers) {
    const file = join(dir, desc.digest.slice(7));
    await writeFile(file, await buffer(await source.openBlob(desc)));
    await target.putBlobFile(desc, file);
  }
  await target.putBlobBytes(image.manifest.config, image.configBytes);
  if (!stopBeforeManifest) {
    const desc = { mediaType: image.manifestMediaType, digest: image.manifestDigest, size: image.manifestBytes.length };
    await target.putManifest(desc, image.manifestBytes);
  }
  await source.close();
  return image;
}

/** A descriptor for some bytes. */
function blobDesc(bytes: Buffer): Descriptor {
  return { mediaType: 'application/octet-stream', digest: sha256(bytes), size: bytes.length };
}

/** Lists every file below dir with its size, to compare trees before and after. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    out[path] = entry.isFile() ? sha256(await readFile(path)) : 'dir';
  }
  return out;
}

describe('oci layout target', () => {
  it('builds a new layout beside DIR and renames it on commit', async () => {
    const src = await buildImage([layer], {}, { shape: 'docker-crane' });
    const parent = await tempDir();
    const dir = join(parent, 'out');
    const target = openTarget(`oci:${dir}:v1`);
    const image = await copy(src, target);
    await expect(stat(dir)).rejects.toThrow(/ENOENT/);
    await target.commit();
    expect(await readdir(parent)).toEqual(['out']);
    expect(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    expect(index.manifests).toEqual([
      {
        mediaType: MEDIA_TYPE.dockerManifest,
        digest: image.manifestDigest,
        size: image.manifestBytes.length,
        annotations: { 'org.opencontainers.image.ref.name': 'v1' },
      },
    ]);
    const back = openSource(`oci:${dir}:v1`);
    expect((await back.resolve()).configBytes.equals(image.configBytes)).toBe(true);
  });

  it('leaves no trace when aborted half way, new or existing', async () => {
    const src = await buildImage([layer], {}, { shape: 'oci' });
    const parent = await tempDir();
    const fresh = openTarget(`oci:${join(parent, 'new', 'deeper')}:x`);
    await copy(src, fresh, true);
    await fresh.abort();
    expect(await readdir(parent)).toEqual([]);

    const existing = src.slice('oci:'.length, src.lastIndexOf(':'));
    const before = await snapshot(existing);
    const other = await buildImage([await makeLayerTar({ z: 'other' })], {}, { shape: 'docker-legacy' });
    const target = openTarget(`oci:${existing}:latest`);
    await copy(other, target);
    expect(Object.keys(await snapshot(existing)).length).toBeGreaterThan(Object.keys(before).length);
    await target.abort();
    expect(await snapshot(existing)).toEqual(before);
  });

  it('commits over an existing layout keeping the other tags', async () => {
    const src = await buildImage([layer], {}, { shape: 'oci', tag: 'keep' });
    const dir = src.slice('oci:'.length, src.lastIndexOf(':'));
    const other = await buildImage([await makeLayerTar({ z: 'other' })], {}, { shape: 'docker-crane' });
    const add = openTarget(`oci:${dir}:added`);
    const addedImage = await copy(other, add);
    await add.commit();
    const tags = async () =>
      JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')).manifests.map(
        (m: Descriptor) => `${m.annotations?.['org.opencontainers.image.ref.name']}=${m.digest.slice(7, 15)}`,
      );
    const keep = (await openSource(src).resolve()).manifestDigest.slice(7, 15);
    expect(await tags()).toEqual([`keep=${keep}`, `added=${addedImage.manifestDigest.slice(7, 15)}`]);
    // Writing the kept image under the same tag replaces that entry only.
    const again = openTarget(`oci:${dir}:added`);
    await copy(src, again);
    await again.commit();
    expect(await tags()).toEqual([`keep=${keep}`, `added=${keep}`]);
    expect(await readdir(join(dir))).toEqual(['blobs', 'index.json', 'oci-layout']);
  });

  it('rewrites a damaged blob already in the layout instead of reusing it', async () => {
    const out = join(await tempDir(), 'layout');
    const bytes = Buffer.from('the real content');
    const desc = blobDesc(bytes);
    const first = openTarget(`oci:${out}:a`);
    await first.putBlobBytes(desc, bytes);
    await first.putManifest(blobDesc(Buffer.from('{}')), Buffer.from('{}'));
    await first.commit();
    const path = join(out, 'blobs', 'sha256', desc.digest.slice(7));
    await writeFile(path, 'the fake content');
    const second = openTarget(`oci:${out}:b`);
    await second.putBlobBytes(desc, bytes);
    expect(await readFile(path, 'utf8')).toBe('the real content');
    await second.abort();
  });

  it('refuses a directory that is not a layout, and blobs that lie', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'stuff'));
    const target = openTarget(`oci:${dir}`);
    const bytes = Buffer.from('{}');
    const desc = { mediaType: MEDIA_TYPE.ociConfig, digest: sha256(bytes), size: 2 };
    await expect(target.putBlobBytes(desc, bytes)).rejects.toThrow(ImageError);
    await expect(target.putBlobBytes(desc, bytes)).rejects.toThrow('exists and is not an OCI layout');

    const out = join(await tempDir(), 'o');
    const t2 = openTarget(`oci:${out}`);
    await expect(t2.putBlobBytes({ ...desc, size: 3 }, bytes)).rejects.toThrow(DigestMismatchError);
    const file = join(await tempDir(), 'f');
    await writeFile(file, 'not the content');
    await expect(t2.putBlobFile({ ...desc, size: 15 }, file)).rejects.toThrow(DigestMismatchError);
    await expect(t2.commit()).rejects.toThrow('commit before putManifest');
    expect(() => openTarget('docker-archive:x.tar')).toThrow(UsageError);
    expect(openTarget('docker://alpine')).toBeInstanceOf(RegistryTarget);
  });
});

describe('oci-archive target', () => {
  it('refuses to replace anything but a regular file', async () => {
    const dir = await tempDir();
    const fifo = join(dir, 'pipe');
    await run('mkfifo', [fifo]);
    const target = openTarget(`oci-archive:${fifo}:v1`);
    await expect(copy(await buildImage([layer], {}, { shape: 'oci' }), target)).rejects.toThrow(
      `${fifo} exists and is not a regular file`,
    );
    expect((await stat(fifo)).isFIFO()).toBe(true);
    const folder = join(dir, 'folder');
    await mkdir(folder);
    await expect(openTarget(`oci-archive:${folder}`).putBlobBytes(blobDesc(Buffer.from('x')), Buffer.from('x'))).rejects.toThrow(
      'is not a regular file',
    );
  });

  it('creates missing parent folders like the oci target', async () => {
    const path = join(await tempDir(), 'a', 'b', 'out.tar');
    await copy(await buildImage([layer], {}, { shape: 'oci' }), openTarget(`oci-archive:${path}:v1`));
    await openTarget(`oci-archive:${path}:v1`).abort();
  });

  it('writes a deterministic tar and renames it into place', async () => {
    const src = await buildImage([layer], {}, { shape: 'oci' });
    const dir = await tempDir();
    const outputs: Buffer[] = [];
    for (const name of ['a.tar', 'b.tar']) {
      const target = openTarget(`oci-archive:${join(dir, name)}:v2`);
      await copy(src, target);
      await expect(stat(join(dir, name))).rejects.toThrow(/ENOENT/);
      await target.commit();
      outputs.push(await readFile(join(dir, name)));
    }
    expect(outputs[0]!.equals(outputs[1]!)).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['a.tar', 'b.tar']);
    const index = await TarIndex.open(join(dir, 'a.tar'));
    const names = [...index.members.keys()];
    await index.close();
    expect(names).toEqual([...names].sort());
    expect(names.slice(0, 2)).toEqual(['blobs', 'blobs/sha256']);
    expect(names.slice(-2)).toEqual(['index.json', 'oci-layout']);
    // Header of the first member: mtime 0 and uid/gid 0, in octal.
    const header = outputs[0]!.subarray(0, 512);
    expect(header.subarray(136, 147).toString()).toBe('00000000000');
    expect(parseInt(header.subarray(108, 116).toString(), 8)).toBe(0);
    expect(parseInt(header.subarray(116, 124).toString(), 8)).toBe(0);
  });

  it('leaves nothing when aborted', async () => {
    const src = await buildImage([layer], {}, { shape: 'oci' });
    const dir = await tempDir();
    const target = openTarget(`oci-archive:${join(dir, 'x.tar')}`);
    await copy(src, target);
    await target.abort();
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('skopeo cross-checks', () => {
  it('inspects what the oci target writes and copies it to a docker archive we read back', async () => {
    // skopeo 1.9 only sees index.json entries of OCI manifest or index media type,
    // so the image copied here has an OCI manifest (as converted images do).
    const src = await buildImage([layer, await makeLayerTar({ b: 'second' })], { config: { Cmd: ['/x'] } }, {
      shape: 'oci-archive',
    });
    const out = join(await tempDir(), 'layout');
    const target = openTarget(`oci:${out}:conv`);
    const image = await copy(src, target);
    await target.commit();
    const { stdout } = await run('skopeo', ['inspect', `oci:${out}:conv`]);
    const inspected = JSON.parse(stdout);
    expect(inspected.Digest).toBe(image.manifestDigest);
    expect(inspected.Layers).toEqual(image.manifest.layers.map((l) => l.digest));
    const { stdout: config } = await run('skopeo', ['inspect', '--config', '--raw', `oci:${out}:conv`]);
    expect(Buffer.from(config).equals(image.configBytes)).toBe(true);

    const archive = join(await tempDir(), 'skopeo.tar');
    await run('skopeo', ['copy', '-q', `oci:${out}:conv`, `docker-archive:${archive}:example.com/conv:1`]);
    const back = openSource(`docker-archive:${archive}:example.com/conv:1`);
    const read = await back.resolve();
    expect(read.configBytes.equals(image.configBytes)).toBe(true);
    const diffIds = JSON.parse(read.configBytes.toString()).rootfs.diff_ids;
    for (const [i, desc] of read.manifest.layers.entries()) {
      let bytes = await buffer(await back.openBlob(desc));
      if (desc.mediaType === MEDIA_TYPE.dockerLayerGzip) bytes = gunzipSync(bytes);
      expect(sha256(bytes)).toBe(diffIds[i]);
    }
    await back.close();
  });

  it('reads what the oci-archive target writes', async () => {
    const src = await buildImage([layer], {}, { shape: 'oci', compression: 'gzip' });
    const out = join(await tempDir(), 'img.tar');
    const target = openTarget(`oci-archive:${out}:arch`);
    const image = await copy(src, target);
    await target.commit();
    const { stdout } = await run('skopeo', ['inspect', `oci-archive:${out}:arch`]);
    expect(JSON.parse(stdout).Digest).toBe(image.manifestDigest);
    const dir = join(await tempDir(), 'copied');
    await run('skopeo', ['copy', '-q', `oci-archive:${out}:arch`, `oci:${dir}:arch`]);
    const copied = await openSource(`oci:${dir}:arch`).resolve();
    expect(copied.manifestDigest).toBe(image.manifestDigest);
  });
});
