/**
 * The registry transport against a real registry (distribution 2.8) without auth:
 * fixture images pushed with the project's own code and pulled back byte for byte,
 * HEAD-skips on a second push, chunked uploads, cross-repository mounts, the
 * referrers fallback, and the CLI converting registry → registry, registry → layout
 * and layout → registry, read back by skopeo.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_TYPE, type Index, type Manifest } from '../../src/oci/types.js';
import { headBlob } from '../../src/registry/blobs.js';
import { sha256Digest } from '../../src/oci/digest.js';
import { deleteManifest, getManifest, headManifest, putManifest } from '../../src/registry/manifests.js';
import { addToFallbackIndex, fallbackTag, getReferrers, readFallbackIndex } from '../../src/registry/referrers.js';
import { mountSources, openSource, openTarget } from '../../src/transport/open.js';
import { RegistrySource } from '../../src/transport/registry-source.js';
import { RegistryTarget } from '../../src/transport/registry-target.js';
import { buildImages, makeLayerTar, removeTestImages } from '../helpers/images.js';
import { copyImage, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { nydusify } from '../helpers/cli.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const SHARED = join(ROOT, '../shared/fixtures/images');
const LAYERED = `oci-archive:${ROOT}fixtures/images/layered.oci.tar:v1`;
const ALPINE = `docker-archive:${SHARED}/alpine-3.docker.tar`;

let registry: TestRegistry;
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'nydusify-registry-e2e-'));
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
  await removeTestImages();
  await rm(work, { recursive: true, force: true });
});

/** Pulls an image through RegistrySource and through the original source, and compares them. */
async function expectSameImage(originalRef: string, pushedRef: string): Promise<void> {
  const original = openSource(originalRef);
  const pulled = openSource(pushedRef);
  try {
    const a = await original.resolve();
    const b = await pulled.resolve();
    expect(b.manifestBytes.equals(a.manifestBytes)).toBe(true);
    expect(b.manifestDigest).toBe(a.manifestDigest);
    expect(b.configBytes.equals(a.configBytes)).toBe(true);
    for (const desc of a.manifest.layers) {
      const want = await buffer(await original.openBlob(desc));
      const got = await buffer(await pulled.openBlob(desc));
      expect(got.equals(want)).toBe(true);
    }
  } finally {
    await original.close();
    await pulled.close();
  }
}

describe('push and pull fixture images', () => {
  it.each([
    ['layered (oci-archive)', LAYERED, 'layered:v1'],
    ['alpine-3 (docker archive)', ALPINE, 'library/alpine:3'],
  ])('%s round-trips byte for byte', async (_name, ref, repoTag) => {
    const pushedRef = `${registry.host}/${repoTag}`;
    const target = openTarget(pushedRef) as RegistryTarget;
    const digest = await copyImage(openSource(ref), target);
    expect(target.pushStats.blobsSkipped).toBe(0);
    expect(target.pushStats.blobsUploaded).toBeGreaterThan(1);
    expect(target.pushStats.manifestsPushed).toBe(1);
    await expectSameImage(ref, pushedRef);
    await expectSameImage(ref, `docker://${registry.host}/${repoTag.split(':')[0]}@${digest}`);

    const again = openTarget(pushedRef) as RegistryTarget;
    await copyImage(openSource(ref), again);
    expect(again.pushStats.bytesUploaded).toBe(0);
    expect(again.pushStats.blobsUploaded).toBe(0);
    expect(again.pushStats.blobsSkipped).toBe(target.pushStats.blobsUploaded);
  });
});

describe('registry API details', () => {
  it('uploads in PATCH chunks when a chunk size is given', async () => {
    const ref = `${registry.host}/chunked/alpine:3`;
    const target = openTarget(ref, { pushChunkSize: 64 * 1024 }) as RegistryTarget;
    await copyImage(openSource(ALPINE), target);
    expect(target.pushStats.blobsUploaded).toBe(2);
    await expectSameImage(ALPINE, ref);
  });

  it('mounts blobs from another repository of the same registry instead of uploading', async () => {
    await copyImage(openSource(LAYERED), openTarget(`${registry.host}/mount/from:v1`));
    const mountFrom = mountSources(`${registry.host}/mount/from:v1`, `docker://${registry.host}/mount/to:v1`);
    expect(mountFrom).toEqual(['mount/from']);
    expect(mountSources(`${registry.host}/mount/from:v1`, `${registry.host}/mount/from:v2`)).toEqual([]);
    expect(mountSources(`${registry.host}/mount/from:v1`, 'other.example/mount/to:v1')).toEqual([]);
    expect(mountSources(LAYERED, `${registry.host}/mount/to:v1`)).toEqual([]);
    const target = openTarget(`${registry.host}/mount/to:v1`, { mountFrom }) as RegistryTarget;
    await copyImage(openSource(LAYERED), target);
    expect(target.pushStats.bytesUploaded).toBe(0);
    expect(target.pushStats.blobsMounted).toBeGreaterThan(1);
    await expectSameImage(LAYERED, `${registry.host}/mount/to:v1`);
  });

  it('a mount from a repository without the blob falls back to an upload', async () => {
    const target = openTarget(`${registry.host}/mount/other:v1`, { mountFrom: ['mount/nothing-here'] }) as RegistryTarget;
    await copyImage(openSource(LAYERED), target);
    expect(target.pushStats.blobsMounted).toBe(0);
    expect(target.pushStats.blobsUploaded).toBeGreaterThan(1);
    await expectSameImage(LAYERED, `${registry.host}/mount/other:v1`);
  });

  it('HEADs manifests and blobs, absent ones as undefined', async () => {
    await copyImage(openSource(LAYERED), openTarget(`${registry.host}/heads/layered:v1`));
    const src = new RegistrySource('x', { registry: registry.host, repository: 'heads/layered', tag: 'v1' });
    const image = await src.resolve();
    const head = await headManifest(src.repository, 'v1');
    expect(head).toEqual({ mediaType: image.manifestMediaType, digest: image.manifestDigest, size: image.manifestBytes.length });
    expect(await headManifest(src.repository, 'no-such-tag')).toBeUndefined();
    expect(await headBlob(src.repository, image.manifest.config.digest)).toBe(image.configBytes.length);
    expect(await headBlob(src.repository, `sha256:${'0'.repeat(64)}`)).toBeUndefined();
    await deleteManifest(src.repository, image.manifestDigest);
    expect(await headManifest(src.repository, 'v1')).toBeUndefined();
    await src.close();
  });

  it('has no referrers API on distribution 2.8, and keeps the sha256-<hex> tag index growing', async () => {
    await copyImage(openSource(LAYERED), openTarget(`${registry.host}/referred/layered:v1`));
    const src = new RegistrySource('x', { registry: registry.host, repository: 'referred/layered', tag: 'v1' });
    const image = await src.resolve();
    const repo = (openTarget(`${registry.host}/referred/layered:v1`) as RegistryTarget).repository;
    expect(await getReferrers(repo, image.manifestDigest)).toBeUndefined();
    expect((await readFallbackIndex(repo, image.manifestDigest)).manifests).toEqual([]);
    // distribution 2.8 refuses an index whose entries it does not hold, so the
    // referrers are real manifests pointing at the image through `subject`.
    const referrer = async (artifactType: string) => {
      const subject = { mediaType: image.manifestMediaType, digest: image.manifestDigest, size: image.manifestBytes.length };
      const bytes = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: MEDIA_TYPE.ociManifest, artifactType, config: image.manifest.config, layers: [], subject,
      }));
      const digest = await putManifest(repo, sha256Digest(bytes), bytes, MEDIA_TYPE.ociManifest);
      return { mediaType: MEDIA_TYPE.ociManifest, digest, size: bytes.length, artifactType };
    };
    const a = await referrer('application/x.test.a');
    const b = await referrer('application/x.test.b');
    await addToFallbackIndex(repo, image.manifestDigest, a);
    await addToFallbackIndex(repo, image.manifestDigest, b);
    await addToFallbackIndex(repo, image.manifestDigest, a);
    const index = await readFallbackIndex(repo, image.manifestDigest);
    expect(index.manifests).toEqual([b, a]);
    const tagged = await getManifest(repo, fallbackTag(image.manifestDigest));
    expect(tagged.mediaType).toBe(MEDIA_TYPE.ociIndex);
    await src.close();
    await repo.client.close();
  });

  it('pushes an index (children by digest, the index by tag) and pulls by platform', async () => {
    const amd = { layers: [await makeLayerTar({ 'amd.txt': 'amd' })], config: { architecture: 'amd64' } };
    const arm = { layers: [await makeLayerTar({ 'arm.txt': 'arm' })], config: { architecture: 'arm64', variant: 'v8' } };
    const ref = await buildImages([amd, arm], { shape: 'oci', index: true });
    const dir = ref.slice('oci:'.length, ref.lastIndexOf(':'));
    const blob = (digest: string): string => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
    const top = (JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as Index).manifests[0]!;
    const indexBytes = await readFile(blob(top.digest));
    const target = openTarget(`${registry.host}/multi/app:v1`) as RegistryTarget;
    for (const child of (JSON.parse(indexBytes.toString()) as Index).manifests) {
      const bytes = await readFile(blob(child.digest));
      const manifest = JSON.parse(bytes.toString()) as Manifest;
      for (const desc of [...manifest.layers, manifest.config]) await target.putBlobFile(desc, blob(desc.digest));
      await target.putManifest(child, bytes);
    }
    await target.putManifest(top, indexBytes);
    expect(await headManifest(target.repository, 'v1')).toBeUndefined();
    await target.commit();
    expect(target.pushStats.manifestsPushed).toBe(3);
    expect(await headManifest(target.repository, 'v1')).toEqual({ mediaType: MEDIA_TYPE.ociIndex, digest: top.digest, size: top.size });

    const source = openSource(`${registry.host}/multi/app:v1`);
    const onArm = await source.resolve({ platform: { os: 'linux', architecture: 'arm64' } });
    expect(onArm.platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(JSON.parse(onArm.configBytes.toString()).architecture).toBe('arm64');
    const onAmd = await source.resolve({ platform: { os: 'linux', architecture: 'amd64' } });
    expect(JSON.parse(onAmd.configBytes.toString()).architecture).toBe('amd64');
    await expect(source.resolve({ platform: { os: 'linux', architecture: 's390x' } }))
      .rejects.toThrow(/no image for platform linux\/s390x; available: linux\/amd64, linux\/arm64\/v8/);
    await source.close();
    const raw = (await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${registry.host}/multi/app:v1`])).stdout;
    expect(Buffer.from(raw).equals(indexBytes)).toBe(true);
  });

  it('talks https to a registry with a self-signed certificate only when insecure', async () => {
    const tls = await startRegistry({ tls: true });
    try {
      const ref = `${tls.host}/secure/layered:v1`;
      await copyImage(openSource(LAYERED), openTarget(ref, { insecure: true }));
      const strict = openSource(ref);
      await expect(strict.resolve()).rejects.toThrow(/TLS failure/);
      await strict.close();
      const insecure = openSource(ref, { insecure: true });
      expect((await insecure.resolve()).manifest.layers.length).toBeGreaterThan(1);
      await insecure.close();
    } finally {
      await tls.stop();
    }
  });
});


async function readJson(path: string): Promise<Record<string, any>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, any>;
}

describe('nydusify convert with registries', () => {
  let source: string;
  beforeAll(async () => {
    source = `${registry.host}/cli/alpine:3`;
    await copyImage(openSource(ALPINE), openTarget(source));
  });

  it('converts registry → registry, uploads nothing the second time, and check passes', async () => {
    const target = `${registry.host}/cli/alpine:3-nydus`;
    const first = await nydusify(['convert', '--source', source, '--target', target, '--output-json', join(work, 'r1.json'), '--quiet']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const r1 = await readJson(join(work, 'r1.json'));
    expect(first.stdout.trim()).toBe(`${target}@${r1.target.manifestDigest}`);
    expect(r1.push.blobsUploaded).toBe(r1.layers.length + 2);
    expect(r1.push.bytesUploaded).toBeGreaterThan(0);
    expect(r1.push.manifestsPushed).toBe(1);

    const second = await nydusify(['convert', '--source', source, '--target', target, '--output-json', join(work, 'r2.json'), '--quiet']);
    expect(second.code).toBe(0);
    const r2 = await readJson(join(work, 'r2.json'));
    expect(r2.target.manifestDigest).toBe(r1.target.manifestDigest);
    expect(r2.push.bytesUploaded).toBe(0);
    expect(r2.push.blobsUploaded).toBe(0);
    expect(r2.push.bytesSkipped).toBe(r1.push.bytesUploaded);

    const check = await nydusify(['check', '--source', source, '--target', target]);
    expect(check.code, check.stdout + check.stderr).toBe(0);

    const pulled = openSource(target);
    const image = await pulled.resolve();
    await pulled.close();
    expect(image.manifestDigest).toBe(r1.target.manifestDigest);
    expect(image.manifest.layers.at(-1)?.annotations?.['containerd.io/snapshot/nydus-bootstrap']).toBe('true');
  });

  it('converts registry → layout and layout → registry', async () => {
    const layout = join(work, 'layout');
    const down = await nydusify(['convert', '--source', source, '--target', `oci:${layout}:nydus`, '--quiet']);
    expect(down.code, down.stderr).toBe(0);
    const up = await nydusify(['convert', '--source', LAYERED, '--target', `${registry.host}/cli/layered:v1-nydus`, '--quiet']);
    expect(up.code, up.stderr).toBe(0);
    const check = await nydusify(['check', '--source', LAYERED, '--target', `${registry.host}/cli/layered:v1-nydus`]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('skopeo inspects and copies the pushed Nydus image', async () => {
    // A Docker source (alpine is a docker archive) still gives an OCI manifest:
    // containers/image refuses Nydus layer media types inside Docker schema2.
    const target = `${registry.host}/cli/alpine:3-nydus-oci`;
    const converted = await nydusify(['convert', '--source', source, '--target', target, '--quiet']);
    expect(converted.code, converted.stderr).toBe(0);
    const repo = new RegistrySource(target, { registry: registry.host, repository: 'cli/alpine', tag: '3-nydus-oci' });
    const manifest = await getManifest(repo.repository, '3-nydus-oci');
    await repo.close();
    expect(manifest.mediaType).toBe(MEDIA_TYPE.ociManifest);
    const info = JSON.parse((await run('skopeo', ['inspect', '--tls-verify=false', `docker://${target}`])).stdout) as { Digest: string; Layers: string[] };
    expect(info.Digest).toBe(manifest.digest);
    const copyDir = join(work, 'skopeo-copy');
    await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${target}`, `oci:${copyDir}:x`]);
    const copied = openSource(`oci:${copyDir}:x`);
    const image = await copied.resolve();
    await copied.close();
    expect(image.manifestDigest).toBe(manifest.digest);
    expect(image.manifest.layers.map((l) => l.digest)).toEqual(info.Layers);
  });
});
