/**
 * `--merge-platform`: one OCI index holding the original manifests and the Nydus
 * manifests side by side, as nydusify's `--merge-platform` (acceleration-service
 * `merge_manifest`) publishes it.
 *
 * - Original entries come first, so that a runtime without Nydus support, which
 *   takes the first entry matching its platform, pulls the OCI image.
 * - Nydus entries carry `artifactType: application/vnd.nydus.image.manifest.v1+json`
 *   and a platform copied from the original (from its config when the source had
 *   no index); their config media type is the Nydus one (see image.ts).
 * - The original manifests are kept byte for byte. nydusify instead prepends an
 *   empty gzip layer to each (annotated `nydus-empty-layer`) so the two images have
 *   different chain IDs. That is not done here: it gives the original a new digest,
 *   which breaks signatures and referrers naming it, and a Nydus layer's diff_id
 *   (the blob digest) never equals an OCI layer's anyway. A runtime that keys
 *   snapshots on the original's chain ID sees the unmodified source image, which
 *   is what it is.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseDigest } from '../oci/digest.js';
import type { Descriptor } from '../oci/types.js';
import type { ImageSource, ImageTarget, SourceImage } from '../transport/types.js';
import { configPlatform } from './image.js';
import { encodeIndex, indexEntry, type IndexDocument } from './platforms.js';

/** originalDescriptor is the index entry of a source image: its manifest, and its platform. */
export function originalDescriptor(image: SourceImage): Descriptor {
  return {
    mediaType: image.manifestMediaType,
    digest: image.manifestDigest,
    size: image.manifestBytes.length,
    platform: image.platform ?? configPlatform(image.configBytes),
  };
}

/** buildMergedIndex lists the originals first, then the Nydus manifests, in the given order. */
export function buildMergedIndex(originals: Descriptor[], nydus: Descriptor[]): IndexDocument {
  return encodeIndex([...originals.map(indexEntry), ...nydus.map(indexEntry)]);
}

/**
 * copyOriginal stores a source image (layers, config, manifest) at the target, so
 * the merged index can name it. Each layer is staged through a file in `workDir`:
 * ImageTarget takes blobs from files.
 *
 * Known shortcoming: a layer the target already holds (the usual case, source and
 * target in the same repository) is still downloaded before the target's HEAD
 * finds it present; a "has blob" call on ImageTarget would let this skip the read.
 */
export async function copyOriginal(
  source: ImageSource,
  image: SourceImage,
  target: ImageTarget,
  workDir: string,
): Promise<Descriptor> {
  for (const layer of image.manifest.layers) {
    const path = join(workDir, `original-${parseDigest(layer.digest).hex}`);
    try {
      await pipeline(await source.openBlob(layer), createWriteStream(path));
      await target.putBlobFile(layer, path);
    } finally {
      await rm(path, { force: true });
    }
  }
  await target.putBlobBytes(image.manifest.config, image.configBytes);
  const desc = originalDescriptor(image);
  await target.putManifest(desc, image.manifestBytes);
  return desc;
}
