/**
 * The conversion features that live at the registry, against a real registry
 * (distribution 2.8, which has no referrers API): multi-platform sources
 * (`--all-platforms`, `--platform`), `--with-referrer` with the `sha256-<hex>`
 * fallback tag and `nydusify referrers`, `check --referrer`, `--merge-platform`
 * read back by skopeo, and `--target-suffix`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIndex } from '../../src/convert/platforms.js';
import { MEDIA_TYPE, type Index, type Manifest } from '../../src/oci/types.js';
import { getManifest } from '../../src/registry/manifests.js';
import { fallbackTag, readFallbackIndex } from '../../src/registry/referrers.js';
import { openSource, openTarget } from '../../src/transport/open.js';
import { withTagSuffix } from '../../src/transport/reference.js';
import { RegistrySource } from '../../src/transport/registry-source.js';
import { NYDUS_ARTIFACT_TYPE } from '../../src/transport/select.js';
import { nydusify } from '../helpers/cli.js';
import { buildImages, makeLayerTar, removeTestImages } from '../helpers/images.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const run = promisify(execFile);
const AMD64 = { os: 'linux', architecture: 'amd64' };
const ARM64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const BOOTSTRAP = 'containerd.io/snapshot/nydus-bootstrap';

let registry: TestRegistry;
let work: string;
/** The two-platform source, `HOST/multi/app:v1`, and its children's digests. */
let source: string;
let children: { amd64: string; arm64: string };

/**
 * Pushes a two-platform layout (amd64 and arm64, sharing a base layer) to the
 * registry with the project's own transports: each image, then an index by tag.
 */
async function pushTwoPlatformImage(ref: string): Promise<{ amd64: string; arm64: string }> {
  const base = await makeLayerTar({ 'etc/os-release': 'ID=test\n', 'bin/tool': 'shared tool\n' });
  const amd = { layers: [base, await makeLayerTar({ 'arch.txt': 'amd64\n' })], config: { architecture: 'amd64' } };
  const arm = { layers: [base, await makeLayerTar({ 'arch.txt': 'arm64\n' })], config: { architecture: 'arm64', variant: 'v8' } };
  const layout = openSource(await buildImages([amd, arm], { shape: 'oci', index: true }));
  const target = openTarget(ref);
  const images = await layout.resolveAll();
  for (const image of images) {
    for (const desc of image.manifest.layers) await target.putBlobBytes(desc, await buffer(await layout.openBlob(desc)));
    await target.putBlobBytes(image.manifest.config, image.configBytes);
    await target.putManifest({ mediaType: image.manifestMediaType, digest: image.manifestDigest, size: image.manifestBytes.length }, image.manifestBytes);
  }
  const index = encodeIndex(images.map((i) => ({
    mediaType: i.manifestMediaType, digest: i.manifestDigest, size: i.manifestBytes.length, platform: i.platform,
  })));
  await target.putManifest(index.desc, index.bytes);
  await target.commit();
  await layout.close();
  return { amd64: images[0]!.manifestDigest, arm64: images[1]!.manifestDigest };
}

/** Fetches a manifest or index from the test registry as parsed JSON, with its digest. */
async function fetchJson<T>(repository: string, reference: string): Promise<{ doc: T; digest: string; bytes: Buffer; mediaType: string }> {
  const src = new RegistrySource(reference, { registry: registry.host, repository });
  try {
    const got = await getManifest(src.repository, reference);
    return { doc: JSON.parse(got.bytes.toString()) as T, digest: got.digest, bytes: got.bytes, mediaType: got.mediaType };
  } finally {
    await src.close();
  }
}

async function convert(args: string[]): Promise<Record<string, any>> {
  const json = join(work, `result-${Math.random().toString(36).slice(2)}.json`);
  const res = await nydusify(['convert', '--source', source, ...args, '--quiet', '--output-json', json]);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(await readFile(json, 'utf8')) as Record<string, any>;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'nydusify-features-'));
  registry = await startRegistry();
  source = `${registry.host}/multi/app:v1`;
  children = await pushTwoPlatformImage(source);
});
afterAll(async () => {
  await registry?.stop();
  await removeTestImages();
  await rm(work, { recursive: true, force: true });
});

describe('multi-platform sources', () => {
  it('--all-platforms converts each platform into an index, children by digest, the index by tag', async () => {
    const result = await convert(['--target', `${registry.host}/multi/app:v1-all`, '--all-platforms']);
    expect(result.target.manifestMediaType).toBe(MEDIA_TYPE.ociIndex);
    expect(result.images.map((i: any) => [i.platform, i.sourceManifestDigest])).toEqual([
      ['linux/amd64', children.amd64], ['linux/arm64/v8', children.arm64],
    ]);
    // The shared base layer gives the same blob on both platforms: pushed once.
    const [amd, arm] = result.images as any[];
    expect(amd.layers[0].blobDigest).toBe(arm.layers[0].blobDigest);
    expect(result.push.blobsSkipped).toBe(1);
    expect(result.push.manifestsPushed).toBe(3);

    const { doc: index, digest } = await fetchJson<Index>('multi/app', 'v1-all');
    expect(digest).toBe(result.target.manifestDigest);
    expect(index.manifests.map((m) => [m.digest, m.platform])).toEqual([
      [amd.manifestDigest, AMD64], [arm.manifestDigest, ARM64],
    ]);
    for (const entry of index.manifests) {
      const { doc } = await fetchJson<Manifest>('multi/app', entry.digest);
      expect(doc.layers.at(-1)?.annotations?.[BOOTSTRAP]).toBe('true');
      expect(doc.subject).toBeUndefined();
    }
    const check = await nydusify(['check', '--target', `${registry.host}/multi/app:v1-all`, '--source', source, '--platform', 'linux/arm64']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('inspect and export read the converted image from the registry over --plain-http', async () => {
    const ref = `${registry.host}/multi/app:v1-all`;
    const listing = await nydusify(['inspect', ref, '--platform', 'linux/arm64', '--plain-http']);
    expect(listing.code, listing.stderr).toBe(0);
    expect(listing.stdout).toMatch(/blobs?/);
    const out = join(work, 'exported-from-registry');
    const exported = await nydusify(['export', ref, '--platform', 'linux/arm64', '--plain-http', '--output', out, '--quiet']);
    expect(exported.code, exported.stderr).toBe(0);
    expect((await readdir(out)).sort()[0]).toBe('blob-1');
  });

  it('--platform picks one image and pushes a plain manifest', async () => {
    const result = await convert(['--target', `${registry.host}/multi/app:v1-arm`, '--platform', 'linux/arm64']);
    expect(result.target.manifestMediaType).toBe(MEDIA_TYPE.ociManifest);
    expect(result.source.manifestDigest).toBe(children.arm64);
    const { doc } = await fetchJson<Manifest>('multi/app', 'v1-arm');
    expect(doc.layers).toHaveLength(3);
    const pulled = openSource(`${registry.host}/multi/app:v1-arm`);
    const image = await pulled.resolve();
    await pulled.close();
    expect(JSON.parse(image.configBytes.toString()).architecture).toBe('arm64');
  });

  it('--all-platforms into an OCI layout writes an index that resolves per platform', async () => {
    const dir = join(work, 'layout-all');
    await convert(['--target', `oci:${dir}:nydus`, '--all-platforms']);
    const layout = openSource(`oci:${dir}:nydus`);
    const images = await layout.resolveAll();
    await layout.close();
    expect(images.map((i) => i.platform)).toEqual([AMD64, ARM64]);
    expect(images.every((i) => i.manifest.layers.at(-1)?.annotations?.[BOOTSTRAP] === 'true')).toBe(true);
  });

  it('--all-platforms and --platform together are a usage error', async () => {
    const res = await nydusify(['convert', '--source', source, '--target', `${registry.host}/x/y:z`, '--all-platforms', '--platform', 'linux/amd64']);
    expect(res.code).toBe(2);
  });
});

describe('--with-referrer', () => {
  let first: Record<string, any>;

  it('sets subject and artifactType, and writes the sha256-<hex> fallback tag', async () => {
    first = await convert(['--target-suffix', '-nydus', '--platform', 'linux/amd64', '--with-referrer']);
    expect(first.target.reference).toBe(`${registry.host}/multi/app:v1-nydus`);
    expect(first.referrer).toBe('tag');
    const { doc } = await fetchJson<Manifest>('multi/app', 'v1-nydus');
    const original = await fetchJson<Manifest>('multi/app', children.amd64);
    expect(doc.artifactType).toBe(NYDUS_ARTIFACT_TYPE);
    expect(doc.subject).toEqual({ mediaType: MEDIA_TYPE.ociManifest, digest: children.amd64, size: original.bytes.length });

    const { doc: tagIndex, mediaType } = await fetchJson<Index>('multi/app', fallbackTag(children.amd64));
    expect(mediaType).toBe(MEDIA_TYPE.ociIndex);
    expect(tagIndex.manifests.map((m) => [m.digest, m.artifactType])).toEqual([[first.target.manifestDigest, NYDUS_ARTIFACT_TYPE]]);
  });

  it('nydusify referrers lists it, and a second referrer keeps the first', async () => {
    const second = await convert(['--target-suffix', '-nydus-lz4', '--platform', 'linux/amd64', '--with-referrer', '--compressor', 'lz4_block']);
    expect(second.target.manifestDigest).not.toBe(first.target.manifestDigest);
    const listed = await nydusify(['referrers', source, '--platform', 'linux/amd64', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const list = JSON.parse(listed.stdout) as { subject: string; via: string; referrers: { digest: string; artifactType: string }[] };
    expect(list.subject).toBe(children.amd64);
    expect(list.via).toBe('tag');
    expect(list.referrers.map((r) => r.digest)).toEqual([first.target.manifestDigest, second.target.manifestDigest]);
    expect(list.referrers.every((r) => r.artifactType === NYDUS_ARTIFACT_TYPE)).toBe(true);

    const text = await nydusify(['referrers', `${registry.host}/multi/app@${children.amd64}`]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^2 referrers of sha256:[0-9a-f]{64} \(via the referrers tag\)\n/);
    expect(text.stdout.trim().split('\n').slice(1).every((l) => l.endsWith('  nydus'))).toBe(true);

    // The arm64 image was never converted with --with-referrer.
    const none = await nydusify(['referrers', source, '--platform', 'linux/arm64', '--json']);
    expect(JSON.parse(none.stdout).referrers).toEqual([]);
  });

  it('check --referrer finds the Nydus image from the source reference and compares with it', async () => {
    const check = await nydusify(['check', '--target', source, '--referrer', '--platform', 'linux/amd64']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const newest = (await readFallbackIndexOf(children.amd64)).manifests.at(-1)?.digest;
    expect(check.stderr).toContain(`checking ${registry.host}/multi/app@${newest}, the Nydus referrer of ${children.amd64}`);
    const missing = await nydusify(['check', '--target', source, '--referrer', '--platform', 'linux/arm64']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/has no Nydus referrer/);
  });
});

async function readFallbackIndexOf(subject: string): Promise<Index> {
  const src = new RegistrySource(source, { registry: registry.host, repository: 'multi/app' });
  try {
    return await readFallbackIndex(src.repository, subject);
  } finally {
    await src.close();
  }
}

describe('--merge-platform', () => {
  const merged = (): string => `${registry.host}/multi/app:v1-merged`;
  let result: Record<string, any>;

  beforeAll(async () => {
    result = await convert(['--target', merged(), '--all-platforms', '--merge-platform']);
  });

  it('pushes one index: the originals first, then the Nydus manifests marked with artifactType', async () => {
    const { doc: index } = await fetchJson<Index>('multi/app', 'v1-merged');
    const nydus = (result.images as any[]).map((i) => i.manifestDigest);
    expect(index.manifests.map((m) => [m.digest, m.platform, m.artifactType])).toEqual([
      [children.amd64, AMD64, undefined],
      [children.arm64, ARM64, undefined],
      [nydus[0], AMD64, NYDUS_ARTIFACT_TYPE],
      [nydus[1], ARM64, NYDUS_ARTIFACT_TYPE],
    ]);
    const { doc } = await fetchJson<Manifest>('multi/app', nydus[0]);
    expect(doc.config.mediaType).toBe('application/vnd.nydus.image.config.v1+json');
  });

  it('resolves to the original by default, and to the Nydus manifest when asked', async () => {
    const src = openSource(merged());
    const plain = await src.resolve({ platform: { os: 'linux', architecture: 'amd64' } });
    const all = await src.resolveAll();
    const nydus = await src.resolve({ platform: { os: 'linux', architecture: 'arm64' }, prefer: 'nydus' });
    await src.close();
    expect(plain.manifestDigest).toBe(children.amd64);
    expect(all.map((i) => i.manifestDigest)).toEqual([children.amd64, children.arm64]);
    expect(nydus.manifestDigest).toBe(result.images[1].manifestDigest);
    const check = await nydusify(['check', '--target', merged(), '--source', source, '--platform', 'linux/arm64']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('skopeo reads the index and copies every image', async () => {
    const { bytes } = await fetchJson<Index>('multi/app', 'v1-merged');
    const raw = (await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${merged()}`])).stdout;
    expect(Buffer.from(raw).equals(bytes)).toBe(true);
    const dir = join(work, 'skopeo-merged');
    await run('skopeo', ['copy', '--all', '--src-tls-verify=false', `docker://${merged()}`, `oci:${dir}:m`]);
    const top = (JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as Index).manifests[0]!;
    const blob = (digest: string): Promise<Buffer> => readFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
    const copied = JSON.parse((await blob(top.digest)).toString()) as Index;
    const pushed = JSON.parse(bytes.toString()) as Index;
    // skopeo 1.9 predates OCI 1.1: it rewrites the index without `artifactType`,
    // but every image, original and Nydus, arrives byte for byte.
    expect(copied.manifests.map((m) => [m.digest, m.platform])).toEqual(pushed.manifests.map((m) => [m.digest, m.platform]));
    for (const entry of pushed.manifests) {
      const { bytes: manifest } = await fetchJson<Manifest>('multi/app', entry.digest);
      expect((await blob(entry.digest)).equals(manifest)).toBe(true);
    }
  });
});

describe('--target-suffix', () => {
  it('appends to the tag of registry, layout and archive references', () => {
    expect(withTagSuffix('example.com/app:v1', '-nydus')).toBe('example.com/app:v1-nydus');
    expect(withTagSuffix('docker://alpine', '-nydus')).toBe('docker.io/library/alpine:latest-nydus');
    expect(withTagSuffix('oci:/tmp/dir:v1', '-n')).toBe('oci:/tmp/dir:v1-n');
    expect(withTagSuffix('oci-archive:a.tar:v1', '-n')).toBe('oci-archive:a.tar:v1-n');
    expect(() => withTagSuffix(`example.com/app@sha256:${'a'.repeat(64)}`, '-n')).toThrow(/by digest/);
    expect(() => withTagSuffix('oci:/tmp/dir', '-n')).toThrow(/has no tag/);
  });

  it('is a usage error together with --target, and so is giving neither', async () => {
    const both = await nydusify(['convert', '--source', source, '--target', `${registry.host}/a/b:c`, '--target-suffix', '-n']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--target and --target-suffix cannot be used together/);
    const neither = await nydusify(['convert', '--source', source]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/--target or --target-suffix is required/);
  });
});
