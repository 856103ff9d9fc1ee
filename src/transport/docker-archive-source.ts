/**
 * DockerArchiveSource reads an image from a `docker save` tarball, in place.
 *
 * Every shape in use has a `manifest.json` listing `{Config, RepoTags, Layers}` per
 * image, with paths inside the tar: (a) legacy `<id>/layer.tar` folders, (b) crane
 * and skopeo's `<hex>.json` + `<hex>.tar[.gz]`, (c) Docker 25+ `blobs/sha256/<hex>`
 * (an OCI layout whose index.json Docker may leave empty). So all three are read
 * through `manifest.json` alone.
 *
 * A docker archive holds no manifest; one is synthesised from the real bytes:
 * the config's digest and size, and each layer file's digest, size and compression.
 * An uncompressed layer's digest is by definition its diff_id, so it is taken from
 * the config and checked when the layer is read; a compressed layer is hashed once
 * here unless it sits at a content-addressed `blobs/sha256/` path.
 *
 * Platform choice does not apply: each manifest.json entry is one image, whatever
 * its architecture, so an arm64 archive resolves on an amd64 host.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ImageError } from '../errors.js';
import { sha256Digest, verifyStream } from '../oci/digest.js';
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, parseConfig } from '../oci/parse.js';
import { MEDIA_TYPE, type Descriptor, type Manifest } from '../oci/types.js';
import { formatDockerName, parseDockerName } from './docker-name.js';
import type { FileTree } from './file-tree.js';
import type { DockerArchiveRef } from './reference.js';
import type { ImageSetSource } from './image-set.js';
import type { SourceImage } from './types.js';

/** DOCKER_MANIFEST_FILE is the image list every docker archive carries. */
export const DOCKER_MANIFEST_FILE = 'manifest.json';
const SNIFF_BYTES = 6;
const BLOB_PATH = /^blobs\/sha256\/([0-9a-f]{64})$/;

/** Compression detected from a layer's first bytes. */
export type Compression = 'gzip' | 'zstd' | 'none';

/** sniffCompression names a layer's compression from its magic number. */
export function sniffCompression(head: Buffer): Compression | 'unsupported' {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'unsupported';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) {
    return 'unsupported';
  }
  return 'none';
}

/** One manifest.json entry as Docker writes it. */
interface ArchiveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** DockerArchiveSource is an ImageSource over a docker archive tar. */
export class DockerArchiveSource implements ImageSetSource {
  /** Member names of the resolved image's blobs, by digest. */
  private readonly blobs = new Map<string, string>();

  constructor(
    readonly reference: string,
    private readonly files: FileTree,
    private readonly ref?: DockerArchiveRef,
  ) {}

  /** resolveAll is the one image the reference picks: an archive entry has no index. */
  async resolveAll(): Promise<SourceImage[]> {
    return [await this.resolve()];
  }

  async resolve(): Promise<SourceImage> {
    const entry = pickEntry(await this.readEntries(), this.ref, this.files.location);
    const configBytes = await this.files.readAll(entry.Config, MAX_CONFIG_BYTES);
    const configDigest = sha256Digest(configBytes);
    const config = parseConfig(configBytes, 'source', `config ${entry.Config}`);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== entry.Layers.length) {
      throw new ImageError('source', `${this.files.location}: ${entry.Layers.length} layers but ` +
        `${diffIds.length} diff_ids in config ${entry.Config}`);
    }
    this.blobs.set(configDigest, entry.Config);
    const layers: Descriptor[] = [];
    const kinds: Compression[] = [];
    for (const [i, name] of entry.Layers.entries()) {
      const { desc, compression } = await this.describeLayer(name, diffIds[i] as string);
      this.blobs.set(desc.digest, name);
      layers.push(desc);
      kinds.push(compression);
    }
    const manifest = synthesise({ digest: configDigest, size: configBytes.length }, layers, kinds);
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    return {
      manifestBytes,
      manifestDigest: sha256Digest(manifestBytes),
      manifestMediaType: manifest.mediaType as string,
      manifest,
      configBytes,
    };
  }

  private async readEntries(): Promise<ArchiveEntry[]> {
    const where = `${this.files.location}: ${DOCKER_MANIFEST_FILE}`;
    if ((await this.files.size(DOCKER_MANIFEST_FILE)) === undefined) {
      throw new ImageError('source', `${this.files.location}: not a docker archive (no ${DOCKER_MANIFEST_FILE})`);
    }
    const bytes = await this.files.readAll(DOCKER_MANIFEST_FILE, MAX_MANIFEST_BYTES);
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw new ImageError('source', `${where}: not valid JSON`, { cause: err });
    }
    if (!Array.isArray(value)) throw new ImageError('source', `${where}: not a list`);
    value.forEach((e: Record<string, unknown>, i) => {
      const ok = typeof e === 'object' && e !== null && typeof e.Config === 'string' &&
        Array.isArray(e.Layers) && e.Layers.every((l) => typeof l === 'string');
      if (!ok) throw new ImageError('source', `${where}: entry ${i} needs Config and Layers`);
    });
    return value as ArchiveEntry[];
  }

  private async describeLayer(
    name: string,
    diffId: string,
  ): Promise<{ desc: Descriptor; compression: Compression }> {
    const size = await this.files.size(name);
    if (size === undefined) throw new ImageError('source', `${this.files.location}: layer ${name} is missing`);
    const compression = sniffCompression(await this.files.head(name, SNIFF_BYTES));
    if (compression === 'unsupported') {
      throw new ImageError('source', `${this.files.location}: layer ${name}: bzip2 and xz layers are not supported`);
    }
    const addressed = BLOB_PATH.exec(name);
    let digest: string;
    if (compression === 'none') digest = diffId;
    else if (addressed !== null) digest = `sha256:${addressed[1]}`;
    else digest = await this.hashMember(name);
    return { desc: { mediaType: '', digest, size }, compression };
  }

  private async hashMember(name: string): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of await this.files.stream(name)) hash.update(chunk as Buffer);
    return `sha256:${hash.digest('hex')}`;
  }

  async openBlob(desc: Descriptor): Promise<Readable> {
    const name = this.blobs.get(desc.digest);
    if (name === undefined) {
      throw new ImageError('source', `${this.files.location}: blob ${desc.digest} is not part of the resolved image`);
    }
    return verifyStream(await this.files.stream(name), desc, `blob ${desc.digest} (${name})`);
  }

  async close(): Promise<void> {
    await this.files.close();
  }
}

/**
 * Builds the manifest: Docker schema2 with Docker media types, unless a layer is
 * zstd, which schema2 has no media type for; then an OCI manifest throughout.
 */
function synthesise(
  config: { digest: string; size: number },
  layers: Descriptor[],
  kinds: Compression[],
): Manifest {
  const oci = kinds.includes('zstd');
  const layerType: Record<Compression, string> = oci
    ? { gzip: MEDIA_TYPE.ociLayerGzip, zstd: MEDIA_TYPE.ociLayerZstd, none: MEDIA_TYPE.ociLayer }
    : { gzip: MEDIA_TYPE.dockerLayerGzip, zstd: MEDIA_TYPE.ociLayerZstd, none: MEDIA_TYPE.dockerLayer };
  return {
    schemaVersion: 2,
    mediaType: oci ? MEDIA_TYPE.ociManifest : MEDIA_TYPE.dockerManifest,
    config: { mediaType: oci ? MEDIA_TYPE.ociConfig : MEDIA_TYPE.dockerConfig, ...config },
    layers: layers.map((l, i) => ({
      mediaType: layerType[kinds[i] as Compression],
      digest: l.digest,
      size: l.size,
    })),
  };
}

/** Normalises a RepoTags entry the way references are, falling back to the text. */
function normaliseTag(tag: string): string {
  const parsed = parseDockerName(tag);
  return typeof parsed === 'string' ? tag : formatDockerName(parsed);
}

function describeEntries(entries: ArchiveEntry[]): string {
  return entries.map((e, i) => `@${i} (${(e.RepoTags ?? []).join(', ') || 'untagged'})`).join('; ');
}

/** pickEntry chooses the manifest.json entry a reference names. */
function pickEntry(
  entries: ArchiveEntry[],
  ref: DockerArchiveRef | undefined,
  where: string,
): ArchiveEntry {
  if (entries.length === 0) throw new ImageError('source', `${where}: holds no images`);
  if (ref === undefined) {
    if (entries.length === 1) return entries[0] as ArchiveEntry;
    throw new ImageError('source', `${where}: holds ${entries.length} images: ${describeEntries(entries)}`, {
      hint: 'add :NAME:TAG or :@N to the reference to choose one',
    });
  }
  if (ref.kind === 'index') {
    const entry = entries[ref.index];
    if (entry === undefined) {
      throw new ImageError('source', `${where}: no image @${ref.index}; it holds @0 to @${entries.length - 1}`);
    }
    return entry;
  }
  const found = entries.find((e) => (e.RepoTags ?? []).some((t) => normaliseTag(t) === ref.name));
  if (found === undefined) {
    throw new ImageError('source', `${where}: no image tagged ${ref.name}; it holds ${describeEntries(entries)}`);
  }
  return found;
}
