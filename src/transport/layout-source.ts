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
import { withPlatform, type ImageSetSource, type IndexChoice } from './image-set.js';
import { imageEntries, pickPlatform, pickTagged, refName, type Prefer } from './select.js';
import type { SourceImage } from './types.js';

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
export class LayoutSource implements ImageSetSource {
  constructor(
    readonly reference: string,
    private readonly files: FileTree,
    private readonly tag?: string,
  ) {}

  async resolve(choice: IndexChoice = {}): Promise<SourceImage> {
    const pick = { want: choice.platform ?? hostPlatform(), prefer: choice.prefer ?? 'original' };
    const { index, where } = await this.readTop();
    const entry = pickTagged(index, this.tag, pick.want, where, pick.prefer);
    return this.descend(entry, pick, 0);
  }

  /**
   * resolveAll lists every image under the reference: the entries the tag names
   * when it names several, else the children of the index the tag names, else the
   * one image.
   */
  async resolveAll(choice: { prefer?: Prefer } = {}): Promise<SourceImage[]> {
    const prefer = choice.prefer ?? 'original';
    const { index, where } = await this.readTop();
    const tagged = this.tag === undefined ? [] : index.manifests.filter((e) => refName(e) === this.tag);
    let entries = tagged.length > 1 ? imageEntries(tagged, prefer) : [];
    if (entries.length === 0) {
      const top = pickTagged(index, this.tag, hostPlatform(), where, prefer);
      const bytes = await this.readManifest(top);
      const parsed = parseManifestOrIndex(bytes, 'source', `manifest ${top.digest}`, top.mediaType);
      if (parsed.kind !== 'index') return [await this.descend(top, { want: hostPlatform(), prefer }, 0)];
      entries = imageEntries(parsed.index.manifests, prefer);
    }
    const images: SourceImage[] = [];
    for (const entry of entries) {
      const pick = { want: entry.platform ?? hostPlatform(), prefer };
      images.push(withPlatform(await this.descend(entry, pick, 1), entry));
    }
    return images;
  }

  private async readTop() {
    await checkLayoutMarker(this.files);
    const where = `${this.files.location}: index.json`;
    const indexBytes = await this.files.readAll('index.json', MAX_MANIFEST_BYTES);
    return { index: parseIndex(indexBytes, 'source', where), where };
  }

  private readManifest(desc: Descriptor): Promise<Buffer> {
    return readVerified(this.files, blobPath(desc.digest), desc, MAX_MANIFEST_BYTES, `manifest ${desc.digest}`);
  }

  private async descend(desc: Descriptor, pick: { want: Platform; prefer: Prefer }, depth: number): Promise<SourceImage> {
    const what = `manifest ${desc.digest}`;
    const bytes = await this.readManifest(desc);
    const parsed = parseManifestOrIndex(bytes, 'source', what, desc.mediaType);
    if (parsed.kind === 'index') {
      if (depth >= MAX_NESTED_INDEXES) {
        throw new ImageError('source', `${what}: indexes nest more than ${MAX_NESTED_INDEXES} deep`);
      }
      const child = pickPlatform(parsed.index.manifests, pick.want, `index ${desc.digest}`, pick.prefer);
      return withPlatform(await this.descend(child, pick, depth + 1), child);
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
