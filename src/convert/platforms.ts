/**
 * Which images of a source a conversion converts, and the index that names the
 * results when there are several.
 *
 * - default: the one image for `--platform` (the host's when not given);
 * - `--all-platforms`: every image of the source's index (Nydus-marked entries and
 *   attestations left out), each keeping the platform its index entry gave it.
 * As nydusify's `convertIndex` does, one converted image is pushed as a plain
 * manifest and several as an OCI image index.
 */
import { ImageError } from '../errors.js';
import { sha256Digest } from '../oci/digest.js';
import { MEDIA_TYPE, type Descriptor, type Index, type Platform } from '../oci/types.js';
import type { ImageSetSource } from '../transport/image-set.js';
import type { SourceImage } from '../transport/types.js';

/** PlatformSelection says which images of the source to convert. */
export interface PlatformSelection {
  /** The platform wanted from an index; undefined means the host's. */
  platform?: Platform;
  /** Convert every image of the index; `platform` is then ignored. */
  allPlatforms?: boolean;
}

/** selectImages resolves the images a conversion converts, at least one. */
export async function selectImages(source: ImageSetSource, choice: PlatformSelection): Promise<SourceImage[]> {
  if (choice.allPlatforms !== true) return [await source.resolve({ platform: choice.platform })];
  const images = await source.resolveAll();
  if (images.length === 0) throw new ImageError('source', `${source.reference}: the index lists no images to convert`);
  return images;
}

/** IndexDocument is an index as bytes to store, with its descriptor. */
export interface IndexDocument {
  index: Index;
  bytes: Buffer;
  desc: Descriptor;
}

/** encodeIndex serialises an OCI image index holding `entries`, in order. */
export function encodeIndex(entries: Descriptor[]): IndexDocument {
  const index: Index = { schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: entries };
  const bytes = Buffer.from(JSON.stringify(index, null, 2));
  return { index, bytes, desc: { mediaType: MEDIA_TYPE.ociIndex, digest: sha256Digest(bytes), size: bytes.length } };
}

/**
 * indexEntry is the descriptor an index lists for a manifest: media type, digest,
 * size, and platform and artifactType when the manifest descriptor has them.
 */
export function indexEntry(desc: Descriptor): Descriptor {
  const entry: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  if (desc.artifactType !== undefined) entry.artifactType = desc.artifactType;
  if (desc.platform !== undefined) entry.platform = desc.platform;
  if (desc.annotations !== undefined) entry.annotations = desc.annotations;
  return entry;
}
