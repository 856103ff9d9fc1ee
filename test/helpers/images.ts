/**
 * Test images built from in-memory layer tars, written in any of the shapes the
 * transports read: an OCI layout directory or archive, or a docker archive in the
 * legacy, crane or Docker 25 shape. The OCI shapes go through this package's own
 * targets; the docker shapes are laid out here, member by member.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { compress as zstdCompress } from 'zstd-napi';
import { MEDIA_TYPE, type Descriptor, type Platform } from '../../src/oci/types.js';
import { LayoutTarget } from '../../src/transport/layout-target.js';
import { writeLayoutTar } from '../../src/transport/oci-archive-target.js';
import { sha256Digest } from '../../src/oci/digest.js';

/** ImageShape names one on-disk form of an image. */
export type ImageShape = 'oci' | 'oci-archive' | 'docker-legacy' | 'docker-crane' | 'docker25';

/** BuildOptions says how to write the image. */
export interface BuildOptions {
  compression?: 'gzip' | 'zstd' | 'none';
  shape?: ImageShape;
  /** OCI tag (default `latest`), or docker RepoTag (default `example.com/test:latest`). */
  tag?: string;
  /** OCI shapes: put all images under one tag as a multi-platform image index. */
  index?: boolean;
}

/** TestImage is one image: raw layer tars and a config to complete. */
export interface TestImage {
  layers: Buffer[];
  config: Record<string, unknown>;
  /** Per-image tag; defaults to BuildOptions.tag. */
  tag?: string;
}

/** BuiltBlob is a blob as written: bytes with their descriptor. */
interface BuiltBlob {
  desc: Descriptor;
  bytes: Buffer;
}

/** BuiltImage is one image's blobs, ready to be laid out. */
interface BuiltImage {
  config: BuiltBlob;
  layers: BuiltBlob[];
  rawLayers: Buffer[];
  manifest: BuiltBlob;
  tag: string;
  platform: Platform;
}

const created: string[] = [];

/** sha256 returns `sha256:<hex>` of bytes (the product's own helper, named for tests). */
export const sha256 = sha256Digest;

function hexOf(digest: string): string {
  return digest.slice('sha256:'.length);
}

/** makeLayerTar builds a layer tar holding the given files (name → content). */
export async function makeLayerTar(files: Record<string, string | Buffer>): Promise<Buffer> {
  return packMembers(Object.entries(files).map(([name, data]) => ({ name, data: Buffer.from(data) })));
}

/** A member of a tar written by packMembers: a file, or a symlink. */
interface Member {
  name: string;
  data?: Buffer;
  linkname?: string;
}

async function packMembers(members: Member[]): Promise<Buffer> {
  const pack = tar.pack();
  const collected = buffer(pack);
  for (const m of members) {
    const base = { name: m.name, mtime: new Date(0), mode: 0o644, uid: 0, gid: 0 };
    if (m.linkname !== undefined) pack.entry({ ...base, type: 'symlink', linkname: m.linkname });
    else pack.entry({ ...base, size: m.data?.length ?? 0 }, m.data ?? Buffer.alloc(0));
  }
  pack.finalize();
  return collected;
}

function blob(mediaType: string, bytes: Buffer, extra: Partial<Descriptor> = {}): BuiltBlob {
  return { desc: { mediaType, digest: sha256(bytes), size: bytes.length, ...extra }, bytes };
}

function compressLayer(raw: Buffer, compression: BuildOptions['compression']): Buffer {
  if (compression === 'gzip') return gzipSync(raw);
  if (compression === 'zstd') return zstdCompress(raw);
  return raw;
}

function layerMediaType(compression: BuildOptions['compression'], docker: boolean): string {
  if (compression === 'gzip') return docker ? MEDIA_TYPE.dockerLayerGzip : MEDIA_TYPE.ociLayerGzip;
  if (compression === 'zstd') return MEDIA_TYPE.ociLayerZstd;
  return docker ? MEDIA_TYPE.dockerLayer : MEDIA_TYPE.ociLayer;
}

/** completeConfig fills in os, architecture and rootfs.diff_ids from the raw layers. */
export function completeConfig(config: Record<string, unknown>, rawLayers: Buffer[]): Buffer {
  const full = {
    architecture: 'amd64',
    os: 'linux',
    ...config,
    rootfs: { type: 'layers', diff_ids: rawLayers.map(sha256) },
  };
  return Buffer.from(JSON.stringify(full));
}

function buildOne(image: TestImage, options: BuildOptions): BuiltImage {
  const compression = options.compression ?? 'gzip';
  const configBytes = completeConfig(image.config, image.layers);
  const parsed = JSON.parse(configBytes.toString()) as Platform & Record<string, unknown>;
  const platform: Platform = { os: parsed.os, architecture: parsed.architecture };
  if (typeof parsed.variant === 'string') platform.variant = parsed.variant;
  const config = blob(MEDIA_TYPE.ociConfig, configBytes);
  const layers = image.layers.map((raw) => blob(layerMediaType(compression, false), compressLayer(raw, compression)));
  const manifestBytes = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociManifest,
    config: config.desc,
    layers: layers.map((l) => l.desc),
  }));
  const manifest = blob(MEDIA_TYPE.ociManifest, manifestBytes);
  const tag = image.tag ?? options.tag ?? (options.shape?.startsWith('docker') ? 'example.com/test:latest' : 'latest');
  return { config, layers, rawLayers: image.layers, manifest, tag, platform };
}

/** buildImage writes one image and returns its reference, e.g. `oci:/tmp/x:latest`. */
export async function buildImage(
  layers: Buffer[],
  config: Record<string, unknown>,
  options: BuildOptions = {},
): Promise<string> {
  return buildImages([{ layers, config }], options);
}

/**
 * buildImages writes several images into one layout or archive (tags or
 * manifest.json entries, in order) and returns the reference. OCI references carry
 * the first image's tag; docker references carry none.
 */
export async function buildImages(images: TestImage[], options: BuildOptions = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nydusify-test-'));
  created.push(dir);
  const built = images.map((image) => buildOne(image, options));
  const shape = options.shape ?? 'oci';
  switch (shape) {
    case 'oci':
      await writeLayout(join(dir, 'layout'), built, options.index === true);
      return `oci:${join(dir, 'layout')}:${built[0]?.tag}`;
    case 'oci-archive':
      await writeLayout(join(dir, 'layout'), built, options.index === true);
      await writeLayoutTar(join(dir, 'layout'), join(dir, 'image.tar'));
      return `oci-archive:${join(dir, 'image.tar')}:${built[0]?.tag}`;
    default:
      await writeFile(join(dir, 'image.tar'), await dockerArchive(shape, built));
      return `docker-archive:${join(dir, 'image.tar')}`;
  }
}

async function writeLayout(dir: string, images: BuiltImage[], asIndex: boolean): Promise<void> {
  if (!asIndex) {
    for (const image of images) {
      const target = new LayoutTarget(`oci:${dir}`, dir, image.tag);
      for (const b of [image.config, ...image.layers]) await target.putBlobBytes(b.desc, b.bytes);
      await target.putManifest(image.manifest.desc, image.manifest.bytes);
      await target.commit();
    }
    return;
  }
  const target = new LayoutTarget(`oci:${dir}`, dir, images[0]?.tag);
  for (const image of images) {
    for (const b of [image.config, ...image.layers, image.manifest]) await target.putBlobBytes(b.desc, b.bytes);
  }
  const index = blob(MEDIA_TYPE.ociIndex, Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociIndex,
    manifests: images.map((i) => ({ ...i.manifest.desc, platform: i.platform })),
  })));
  await target.putManifest(index.desc, index.bytes);
  await target.commit();
}

function layerSuffix(bytes: Buffer): string {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return '.tar.gz';
  if (bytes.readUInt32LE(0) === 0xfd2fb528) return '.tar.zst';
  return '.tar';
}

async function dockerArchive(shape: ImageShape, images: BuiltImage[]): Promise<Buffer> {
  const members: Member[] = [];
  const seen = new Set<string>();
  const add = (name: string, data: Buffer): void => {
    if (seen.has(name)) return;
    seen.add(name);
    members.push({ name, data });
  };
  const manifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const legacyLayerOf = new Map<string, string>();
  for (const [n, image] of images.entries()) {
    const configHex = hexOf(image.config.desc.digest);
    let configName = `${configHex}.json`;
    let layerNames = image.layers.map((l) => `${hexOf(l.desc.digest)}${layerSuffix(l.bytes)}`);
    if (shape === 'docker25') {
      configName = `blobs/sha256/${configHex}`;
      layerNames = image.layers.map((l) => `blobs/sha256/${hexOf(l.desc.digest)}`);
      add(`blobs/sha256/${hexOf(image.manifest.desc.digest)}`, image.manifest.bytes);
    }
    if (shape === 'docker-legacy') {
      layerNames = image.layers.map((l, i) => {
        // Docker names legacy folders by a v1 id, not a content digest; a layer
        // repeated across images becomes a symlink to its first copy.
        const id = hexOf(sha256(Buffer.from(`${n}:${i}:${l.desc.digest}`)));
        const first = legacyLayerOf.get(l.desc.digest);
        if (first !== undefined) members.push({ name: `${id}/layer.tar`, linkname: `../${first}/layer.tar` });
        else add(`${id}/layer.tar`, l.bytes);
        if (first === undefined) legacyLayerOf.set(l.desc.digest, id);
        add(`${id}/VERSION`, Buffer.from('1.0'));
        add(`${id}/json`, Buffer.from(JSON.stringify({ id })));
        return `${id}/layer.tar`;
      });
      const [repo, tag] = splitTag(image.tag);
      const top = layerNames.at(-1)?.split('/')[0] ?? '';
      (repositories[repo] ??= {})[tag] = top;
    } else {
      image.layers.forEach((l, i) => add(layerNames[i] as string, l.bytes));
    }
    add(configName, image.config.bytes);
    manifest.push({ Config: configName, RepoTags: [image.tag], Layers: layerNames });
  }
  if (shape === 'docker25') {
    add('oci-layout', Buffer.from('{"imageLayoutVersion": "1.0.0"}'));
    add('index.json', Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.ociIndex,
      manifests: images.map((i) => ({ ...i.manifest.desc, annotations: { 'io.containerd.image.name': i.tag } })),
    })));
  }
  if (shape === 'docker-legacy') add('repositories', Buffer.from(JSON.stringify(repositories)));
  add('manifest.json', Buffer.from(JSON.stringify(manifest)));
  return packMembers(members);
}

function splitTag(name: string): [string, string] {
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? [name.slice(0, colon), name.slice(colon + 1)] : [name, 'latest'];
}

/** removeTestImages deletes every temporary directory this helper created. */
export async function removeTestImages(): Promise<void> {
  while (created.length > 0) await rm(created.pop() as string, { recursive: true, force: true });
}

/** tempDir makes a temporary directory that removeTestImages deletes. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nydusify-test-'));
  created.push(dir);
  return dir;
}
