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
import { pickPlatform } from './select.js';
import type { ImageSource, PlatformChoice, SourceImage } from './types.js';

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
export class RegistrySource implements ImageSource {
  /** The repository read from, for callers that need more of the API (referrers). */
  readonly repository: Repository;

  constructor(
    readonly reference: string,
    private readonly location: RegistryLocation,
    options: Omit<RegistryClientOptions, 'side'> = {},
  ) {
    const client = new RegistryClient(location.registry, { ...options, side: 'source' });
    this.repository = new Repository(client, location.repository);
  }

  async resolve(choice: PlatformChoice = {}): Promise<SourceImage> {
    const want = choice.platform ?? hostPlatform();
    const top = this.location.digest ?? this.location.tag ?? 'latest';
    return this.descend(top, undefined, want, 0);
  }

  private async descend(
    reference: string,
    desc: Descriptor | undefined,
    want: Platform,
    depth: number,
  ): Promise<SourceImage> {
    const fetched = await getManifest(this.repository, reference);
    const what = `manifest ${this.repository.toString()}@${fetched.digest}`;
    if (desc !== undefined && desc.size !== fetched.bytes.length) {
      throw new ImageError('source', `${what}: ${fetched.bytes.length} bytes where the index says ${desc.size}`);
    }
    const hint = desc?.mediaType ?? (fetched.mediaType === '' ? undefined : fetched.mediaType);
    const parsed = parseManifestOrIndex(fetched.bytes, 'source', what, hint);
    if (parsed.kind === 'index') {
      if (depth >= MAX_NESTED_INDEXES) {
        throw new ImageError('source', `${what}: indexes nest more than ${MAX_NESTED_INDEXES} deep`);
      }
      const child = pickPlatform(parsed.index.manifests, want, `index ${fetched.digest}`);
      const image = await this.descend(child.digest, child, want, depth + 1);
      if (image.platform === undefined && child.platform !== undefined) image.platform = child.platform;
      return image;
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
