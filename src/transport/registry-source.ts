/**
 * RegistrySource reads one image from a registry (`[docker://]host/repo:tag[@digest]`).
 *
 * Resolution: GET the manifest by digest when the reference has one, else by tag;
 * an index is descended by platform (the same choice as for OCI layouts) until an
 * image manifest is reached; the config is fetched as a blob and verified. Layer
 * blobs stream with their digest checked as they arrive.
 */
import type { Readable } from 'node:stream';
import { ImageError } from '../errors.js';
import { MAX_CONFIG_BYTES, parseManifestOrIndex } from '../oci/parse.js';
import { hostPlatform } from '../oci/platform.js';
import type { Descriptor, Platform } from '../oci/types.js';
import { openBlob } from '../registry/blobs.js';
import { RegistryClient, type RegistryClientOptions } from '../registry/client.js';
import { getManifest } from '../registry/manifests.js';
import { Repository } from '../registry/repository.js';
import { withPlatform, type IndexChoice, type ImageSetSource } from './image-set.js';
import { imageEntries, pickPlatform, type Prefer } from './select.js';
import type { SourceImage } from './types.js';

/** MAX_NESTED_INDEXES bounds index-in-index descent, against cycles. */
const MAX_NESTED_INDEXES = 4;

/** RegistryLocation is a parsed registry reference. */
export interface RegistryLocation {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** RegistrySource is an ImageSource over a registry repository. */
export class RegistrySource implements ImageSetSource {
  /** The repository read from, for callers that need more of the API (referrers). */
  readonly repository: Repository;

  constructor(
    readonly reference: string,
    private readonly location: RegistryLocation,
    options: Omit<RegistryClientOptions, 'side'> & { side?: RegistryClientOptions['side'] } = {},
  ) {
    const client = new RegistryClient(location.registry, { ...options, side: options.side ?? 'source' });
    this.repository = new Repository(client, location.repository);
  }

  async resolve(choice: IndexChoice = {}): Promise<SourceImage> {
    const want = choice.platform ?? hostPlatform();
    return this.descend(this.topReference, undefined, { want, prefer: choice.prefer ?? 'original' }, 0);
  }

  async resolveAll(choice: { prefer?: Prefer } = {}): Promise<SourceImage[]> {
    const prefer = choice.prefer ?? 'original';
    const top = await this.fetch(this.topReference, undefined);
    if (top.parsed.kind !== 'index') return [await this.descend(this.topReference, undefined, { want: hostPlatform(), prefer }, 0)];
    const images: SourceImage[] = [];
    for (const entry of imageEntries(top.parsed.index.manifests, prefer)) {
      const want = entry.platform ?? hostPlatform();
      images.push(withPlatform(await this.descend(entry.digest, entry, { want, prefer }, 1), entry));
    }
    return images;
  }

  /** topDigest returns the digest of the manifest or index the reference names. */
  async topDigest(): Promise<string> {
    return (await this.fetch(this.topReference, undefined)).fetched.digest;
  }

  /** The tag or digest the reference names; `latest` when it names neither. */
  private get topReference(): string {
    return this.location.digest ?? this.location.tag ?? 'latest';
  }

  private async fetch(reference: string, desc: Descriptor | undefined) {
    const fetched = await getManifest(this.repository, reference);
    const what = `manifest ${this.repository.toString()}@${fetched.digest}`;
    if (desc !== undefined && desc.size !== fetched.bytes.length) {
      throw new ImageError('source', `${what}: ${fetched.bytes.length} bytes where the index says ${desc.size}`);
    }
    const hint = desc?.mediaType ?? (fetched.mediaType === '' ? undefined : fetched.mediaType);
    return { fetched, what, parsed: parseManifestOrIndex(fetched.bytes, 'source', what, hint) };
  }

  private async descend(
    reference: string,
    desc: Descriptor | undefined,
    pick: { want: Platform; prefer: Prefer },
    depth: number,
  ): Promise<SourceImage> {
    const { fetched, what, parsed } = await this.fetch(reference, desc);
    if (parsed.kind === 'index') {
      if (depth >= MAX_NESTED_INDEXES) {
        throw new ImageError('source', `${what}: indexes nest more than ${MAX_NESTED_INDEXES} deep`);
      }
      const child = pickPlatform(parsed.index.manifests, pick.want, `index ${fetched.digest}`, pick.prefer);
      return withPlatform(await this.descend(child.digest, child, pick, depth + 1), child);
    }
    const config = parsed.manifest.config;
    if (config.size > MAX_CONFIG_BYTES) {
      const over = `${config.size} bytes is over the ${MAX_CONFIG_BYTES}-byte limit`;
      throw new ImageError('source', `config ${config.digest}: ${over}`);
    }
    const configBytes = await readAll(await openBlob(this.repository, config));
    return {
      manifestBytes: fetched.bytes,
      manifestDigest: fetched.digest,
      manifestMediaType: parsed.mediaType,
      manifest: parsed.manifest,
      configBytes,
    };
  }

  openBlob(desc: Descriptor): Promise<Readable> {
    return openBlob(this.repository, desc);
  }

  async close(): Promise<void> {
    await this.repository.client.close();
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}
