/**
 * LayoutSource reads an image from an OCI image layout, either a directory (`oci:`)
 * or a tar of one (`oci-archive:`, read in place through a member index).
 *
 * Resolution: check `oci-layout`, read `index.json`, pick the entry by tag, then
 * descend through nested indexes choosing by platform until a manifest is reached.
 * References: https://github.com/opencontainers/image-spec/blob/main/image-layout.md
 */
import type { Readable } from 'node:stream';
import { ImageError } from '../errors.js';
import { verifyStream } from '../oci/digest.js';
import {
  MAX_CONFIG_BYTES,
  MAX_MANIFEST_BYTES,
  parseIndex,
  parseJson,
  parseManifestOrIndex,
} from '../oci/parse.js';
import { hostPlatform } from '../oci/platform.js';
import type { Descriptor, Platform } from '../oci/types.js';
import { blobPath, readVerified } from './blob-read.js';
import type { FileTree } from './file-tree.js';
import { pickPlatform, pickTagged } from './select.js';
import type { ImageSource, PlatformChoice, SourceImage } from './types.js';

/** OCI_LAYOUT_FILE marks a directory as an OCI layout. */
export const OCI_LAYOUT_FILE = 'oci-layout';
/** OCI_LAYOUT_VERSION is the layout version this package reads and writes. */
export const OCI_LAYOUT_VERSION = '1.0.0';
/** MAX_NESTED_INDEXES bounds index-in-index descent, against cycles. */
const MAX_NESTED_INDEXES = 4;
const MAX_SMALL_FILE = 64 * 1024;

/** checkLayoutMarker reads `oci-layout` and checks its version. */
export async function checkLayoutMarker(files: FileTree): Promise<void> {
  if ((await files.size(OCI_LAYOUT_FILE)) === undefined) {
    throw new ImageError('source', `${files.location}: not an OCI layout (no ${OCI_LAYOUT_FILE} file)`);
  }
  const marker = parseJson(await files.readAll(OCI_LAYOUT_FILE, MAX_SMALL_FILE), MAX_SMALL_FILE, 'source',
    `${files.location}: ${OCI_LAYOUT_FILE}`);
  const version = marker.imageLayoutVersion;
  if (typeof version !== 'string' || !version.startsWith('1.')) {
    throw new ImageError('source', `${files.location}: unsupported imageLayoutVersion ${JSON.stringify(version)}`);
  }
}

/** LayoutSource is an ImageSource over an OCI layout held in a FileTree. */
export class LayoutSource implements ImageSource {
  constructor(
    readonly reference: string,
    private readonly files: FileTree,
    private readonly tag?: string,
  ) {}

  async resolve(choice: PlatformChoice = {}): Promise<SourceImage> {
    const want = choice.platform ?? hostPlatform();
    await checkLayoutMarker(this.files);
    const where = `${this.files.location}: index.json`;
    const indexBytes = await this.files.readAll('index.json', MAX_MANIFEST_BYTES);
    const index = parseIndex(indexBytes, 'source', where);
    const entry = pickTagged(index, this.tag, want, where);
    return this.descend(entry, want, 0);
  }

  private async descend(desc: Descriptor, want: Platform, depth: number): Promise<SourceImage> {
    const what = `manifest ${desc.digest}`;
    const bytes = await readVerified(this.files, blobPath(desc.digest), desc, MAX_MANIFEST_BYTES, what);
    const parsed = parseManifestOrIndex(bytes, 'source', what, desc.mediaType);
    if (parsed.kind === 'index') {
      if (depth >= MAX_NESTED_INDEXES) {
        throw new ImageError('source', `${what}: indexes nest more than ${MAX_NESTED_INDEXES} deep`);
      }
      const child = pickPlatform(parsed.index.manifests, want, `index ${desc.digest}`);
      const image = await this.descend(child, want, depth + 1);
      if (image.platform === undefined && child.platform !== undefined) image.platform = child.platform;
      return image;
    }
    const config = parsed.manifest.config;
    const configBytes = await readVerified(this.files, blobPath(config.digest), config, MAX_CONFIG_BYTES,
      `config ${config.digest}`);
    return {
      manifestBytes: bytes,
      manifestDigest: desc.digest,
      manifestMediaType: parsed.mediaType,
      manifest: parsed.manifest,
      configBytes,
    };
  }

  async openBlob(desc: Descriptor): Promise<Readable> {
    const stream = await this.files.stream(blobPath(desc.digest));
    return verifyStream(stream, desc, `blob ${desc.digest}`);
  }

  async close(): Promise<void> {
    await this.files.close();
  }
}
