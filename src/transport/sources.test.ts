import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decompress as zstdDecompress } from 'zstd-napi';
import {
  buildImage,
  buildImages,
  makeLayerTar,
  removeTestImages,
  sha256,
  type ImageShape,
} from '../../test/helpers/images.js';
import { DigestMismatchError, ImageError, UsageError } from '../errors.js';
import { MEDIA_TYPE } from '../oci/types.js';
import { LayoutTarget } from './layout-target.js';
import { openSource } from './open.js';
import type { SourceImage } from './types.js';
import { RegistrySource } from './registry-source.js';

afterAll(removeTestImages);

const FIXTURES = new URL('../../../shared/fixtures/images/', import.meta.url).pathname;
const SHAPES: ImageShape[] = ['oci', 'oci-archive', 'docker-legacy', 'docker-crane', 'docker25'];
const AMD64 = { os: 'linux', architecture: 'amd64' };

function decompress(bytes: Buffer, mediaType: string): Buffer {
  if (mediaType.endsWith('gzip')) return gunzipSync(bytes);
  if (mediaType.endsWith('zstd')) return zstdDecompress(bytes);
  return bytes;
}

/** Resolves a reference and reads every layer, checking digests on the way. */
async function readImage(ref: string, platform = AMD64): Promise<{ image: SourceImage; layers: Buffer[] }> {
  const source = openSource(ref);
  try {
    const image = await source.resolve({ platform });
    const layers: Buffer[] = [];
    for (const desc of image.manifest.layers) layers.push(await buffer(await source.openBlob(desc)));
    const config = await buffer(await source.openBlob(image.manifest.config));
    expect(config.equals(image.configBytes)).toBe(true);
    expect(sha256(image.manifestBytes)).toBe(image.manifestDigest);
    return { image, layers };
  } finally {
    await source.close();
  }
}

const layerA = await makeLayerTar({ 'etc/hostname': 'box\n', 'bin/tool': Buffer.alloc(5000, 1) });
const layerB = await makeLayerTar({ 'etc/hostname': 'other\n' });
const config = { config: { Cmd: ['/bin/tool'] } };

describe('every shape and compression resolves to the same image', () => {
  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    it(`${compression}`, async () => {
      const results = [];
      for (const shape of SHAPES) {
        const ref = await buildImage([layerA, layerB], config, { shape, compression });
        results.push({ shape, ...(await readImage(ref)) });
      }
      const [first] = results;
      for (const r of results) {
        expect(r.image.configBytes.equals(first!.image.configBytes), r.shape).toBe(true);
        expect(r.layers.map(sha256), r.shape).toEqual(first!.layers.map(sha256));
        const raw = r.layers.map((l, i) => decompress(l, r.image.manifest.layers[i]!.mediaType));
        expect(raw.map(sha256), r.shape).toEqual([sha256(layerA), sha256(layerB)]);
        expect(r.image.manifest.layers.map((l) => l.size)).toEqual(r.layers.map((l) => l.length));
      }
    });
  }

  it('synthesises a Docker schema2 manifest for docker archives', async () => {
    const ref = await buildImage([layerA, layerB], config, { shape: 'docker-crane', compression: 'gzip' });
    const { image } = await readImage(ref);
    expect(image.manifestMediaType).toBe(MEDIA_TYPE.dockerManifest);
    expect(image.manifest.config).toEqual({
      mediaType: MEDIA_TYPE.dockerConfig,
      digest: sha256(image.configBytes),
      size: image.configBytes.length,
    });
    expect(image.manifest.layers.map((l) => l.mediaType)).toEqual([
      MEDIA_TYPE.dockerLayerGzip,
      MEDIA_TYPE.dockerLayerGzip,
    ]);
    const plain = await readImage(await buildImage([layerA], config, { shape: 'docker-legacy', compression: 'none' }));
    expect(plain.image.manifest.layers[0]).toEqual({
      mediaType: MEDIA_TYPE.dockerLayer,
      digest: sha256(layerA),
      size: layerA.length,
    });
    const zstd = await readImage(await buildImage([layerA], config, { shape: 'docker25', compression: 'zstd' }));
    expect(zstd.image.manifestMediaType).toBe(MEDIA_TYPE.ociManifest);
    expect(zstd.image.manifest.layers[0]?.mediaType).toBe(MEDIA_TYPE.ociLayerZstd);
  });
});

describe('shared fixtures', () => {
  it('reads alpine-3.docker.tar (crane shape, gzip layer)', async () => {
    const { image, layers } = await readImage(`docker-archive:${FIXTURES}alpine-3.docker.tar`);
    expect(image.manifest).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.dockerManifest,
      config: {
        mediaType: MEDIA_TYPE.dockerConfig,
        digest: 'sha256:9c6f0724472873bb50a2ae67a9e7adcb57673a183cea8b06eb778dca859181b5',
        size: 1470,
      },
      layers: [
        {
          mediaType: MEDIA_TYPE.dockerLayerGzip,
          digest: 'sha256:213ec9aee27d8be045c6a92b7eac22c9a64b44558193775a1a7f626352392b49',
          size: 2806054,
        },
      ],
    });
    expect(sha256(gunzipSync(layers[0]!))).toBe(
      'sha256:994393dc58e7931862558d06e46aa2bb17487044f670f310dffe1d24e4d1eec7',
    );
    expect(image.platform).toBeUndefined();
  });

  it('picks alpine by its RepoTag, normalised as skopeo does', async () => {
    const path = `${FIXTURES}alpine-3.docker.tar`;
    for (const ref of ['alpine:3', 'docker.io/library/alpine:3', 'library/alpine:3', '@0']) {
      const source = openSource(`docker-archive:${path}:${ref}`);
      expect((await source.resolve()).manifest.config.size).toBe(1470);
      await source.close();
    }
    const wrong = openSource(`docker-archive:${path}:alpine`);
    await expect(wrong.resolve()).rejects.toThrow(
      'no image tagged docker.io/library/alpine:latest; it holds @0 (library/alpine:3)',
    );
    await expect(openSource(`docker-archive:${path}:@1`).resolve()).rejects.toThrow('no image @1; it holds @0 to @0');
  });

  it('reads the arm64 Docker 25 archive on any host, without platform choice', async () => {
    const ref = `docker-archive:${FIXTURES}hello-world-arm64.docker25.tar`;
    const { image, layers } = await readImage(ref, AMD64);
    expect(image.manifest.config.digest).toBe(
      'sha256:ee301c921b8aadc002973b2e0c3da17d701dcd994b606769a7e6eaa100b81d44',
    );
    expect(image.manifest.layers).toEqual([
      {
        mediaType: MEDIA_TYPE.dockerLayer,
        digest: 'sha256:12660636fe55438cc3ae7424da7ac56e845cdb52493ff9cf949c47a7f57f8b43',
        size: 10752,
      },
    ]);
    expect(JSON.parse(image.configBytes.toString()).architecture).toBe('arm64');
    expect(layers[0]!.length).toBe(10752);
  });
});

describe('OCI layout selection', () => {
  const amd = { layers: [layerA], config: { architecture: 'amd64' } };
  const arm = { layers: [layerB], config: { architecture: 'arm64', variant: 'v8' } };

  it('chooses by tag, and without one lists the tags', async () => {
    const ref = await buildImages([{ ...amd, tag: 'one' }, { ...arm, tag: 'two' }], { shape: 'oci' });
    const dir = ref.slice('oci:'.length, ref.lastIndexOf(':'));
    const two = await readImage(`oci:${dir}:two`);
    expect(JSON.parse(two.image.configBytes.toString()).architecture).toBe('arm64');
    await expect(openSource(`oci:${dir}`).resolve()).rejects.toThrow('holds 2 images; tags: one, two');
    await expect(openSource(`oci:${dir}:three`).resolve()).rejects.toThrow(
      'no image tagged "three"; tags: one, two',
    );
  });

  for (const shape of ['oci', 'oci-archive'] as const) {
    it(`chooses by platform in a nested index (${shape})`, async () => {
      const ref = await buildImages([amd, arm], { shape, index: true });
      const onAmd = await readImage(ref, AMD64);
      expect(onAmd.image.platform).toEqual({ os: 'linux', architecture: 'amd64' });
      expect(onAmd.layers.map((l) => sha256(gunzipSync(l)))).toEqual([sha256(layerA)]);
      const onArm = await readImage(ref, { os: 'linux', architecture: 'arm64' });
      expect(onArm.image.platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
      const err = await openSource(ref)
        .resolve({ platform: { os: 'linux', architecture: 's390x' } })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageError);
      expect((err as Error).message).toMatch(
        /no image for platform linux\/s390x; available: linux\/amd64, linux\/arm64\/v8$/,
      );
    });
  }

  it('takes a single-manifest index without platform as is', async () => {
    const ref = await buildImage([layerA], { architecture: 'riscv64' }, { shape: 'oci' });
    const dir = ref.slice('oci:'.length, ref.lastIndexOf(':'));
    const image = (await readImage(ref)).image;
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.ociIndex,
      manifests: [{ mediaType: MEDIA_TYPE.ociManifest, digest: image.manifestDigest, size: image.manifestBytes.length }],
    }));
    const target = new LayoutTarget('t', dir, 'wrapped');
    await target.putManifest({ mediaType: MEDIA_TYPE.ociIndex, digest: sha256(index), size: index.length }, index);
    await target.commit();
    const wrapped = await readImage(`oci:${dir}:wrapped`, AMD64);
    expect(wrapped.image.manifestDigest).toBe(image.manifestDigest);
    expect(wrapped.image.platform).toBeUndefined();
  });
});

describe('docker archive entries', () => {
  const one = { layers: [layerA], config: {}, tag: 'example.com/one:1' };
  const two = { layers: [layerA, layerB], config: { architecture: 'arm64' }, tag: 'two' };

  it('chooses by name or @N and lists entries otherwise (legacy shape, shared layer)', async () => {
    const ref = await buildImages([one, two], { shape: 'docker-legacy', compression: 'none' });
    const err = await openSource(ref).resolve().catch((e: unknown) => e);
    expect((err as Error).message).toContain('holds 2 images: @0 (example.com/one:1); @1 (two)');
    expect((err as ImageError).hint).toContain(':@N');
    const byName = await readImage(`${ref}:docker.io/library/two:latest`);
    const byIndex = await readImage(`${ref}:@1`);
    expect(byName.image.manifestDigest).toBe(byIndex.image.manifestDigest);
    // Layer A of image two is a symlink to image one's copy inside the tar.
    expect(byIndex.layers.map(sha256)).toEqual([sha256(layerA), sha256(layerB)]);
    expect((await readImage(`${ref}:example.com/one:1`)).layers.map(sha256)).toEqual([sha256(layerA)]);
  });

  it('refuses an archive without manifest.json', async () => {
    const ref = await buildImage([layerA], {}, { shape: 'oci-archive' });
    const path = ref.slice('oci-archive:'.length, ref.lastIndexOf(':'));
    await expect(openSource(`docker-archive:${path}`).resolve()).rejects.toThrow('not a docker archive (no manifest.json)');
  });
});

describe('errors', () => {
  it('fails at EOF when a layer blob is corrupt (oci layout)', async () => {
    const ref = await buildImage([layerA], {}, { shape: 'oci', compression: 'none' });
    const dir = ref.slice('oci:'.length, ref.lastIndexOf(':'));
    const source = openSource(ref);
    const image = await source.resolve();
    const layer = image.manifest.layers[0]!;
    const file = join(dir, 'blobs', 'sha256', layer.digest.slice(7));
    const bytes = await readFile(file);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(file, bytes);
    const seen: number[] = [];
    const stream = await source.openBlob(layer);
    stream.on('data', (c: Buffer) => seen.push(c.length));
    const err = await new Promise((resolve) => stream.on('error', resolve).on('end', () => resolve(undefined)));
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect((err as Error).message).toContain(`blob ${layer.digest}: digest mismatch`);
    // Every byte was delivered before the error: it came at EOF.
    expect(seen.reduce((a, b) => a + b, 0)).toBe(layer.size);
    await source.close();
  });

  it('fails at EOF when a docker archive layer does not match its diff_id', async () => {
    const ref = await buildImage([layerA], {}, { shape: 'docker-crane', compression: 'none' });
    const path = ref.slice('docker-archive:'.length);
    const bytes = await readFile(path);
    const at = bytes.indexOf(Buffer.alloc(64, 1));
    bytes[at] = 2;
    await writeFile(path, bytes);
    const source = openSource(ref);
    const image = await source.resolve();
    await expect(buffer(await source.openBlob(image.manifest.layers[0]!))).rejects.toThrow(DigestMismatchError);
    await source.close();
  });

  it('refuses a manifest whose blob was altered', async () => {
    const ref = await buildImage([layerA], {}, { shape: 'oci' });
    const dir = ref.slice('oci:'.length, ref.lastIndexOf(':'));
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    const file = join(dir, 'blobs', 'sha256', index.manifests[0].digest.slice(7));
    await writeFile(file, (await readFile(file, 'utf8')).replace('"schemaVersion":2', '"schemaVersion":3'));
    await expect(openSource(ref).resolve()).rejects.toThrow(`manifest ${index.manifests[0].digest}: digest mismatch`);
  });

  it('names a missing path and a non-layout, and opens registries', async () => {
    await expect(openSource('oci:/nonexistent/dir').resolve()).rejects.toThrow('/nonexistent/dir does not exist');
    await expect(openSource('oci-archive:/nonexistent.tar').resolve()).rejects.toThrow('/nonexistent.tar does not exist');
    await expect(openSource(`oci:${FIXTURES}`).resolve()).rejects.toThrow('not an OCI layout (no oci-layout file)');
    expect(openSource('alpine')).toBeInstanceOf(RegistrySource);
    expect(() => openSource('oci:')).toThrow(UsageError);
  });
});
