/**
 * Rewriting the source image's config and manifest for the Nydus result.
 */
import { ImageError } from '../errors.js';
import { sha256Digest } from '../oci/digest.js';
import { MEDIA_TYPE, NYDUS_ANNOTATION } from '../oci/types.js';
import type { Descriptor, Manifest, Platform } from '../oci/types.js';
import { parseConfig } from '../oci/parse.js';
import { NYDUS_ARTIFACT_TYPE } from '../transport/select.js';
import type { SourceImage } from '../transport/types.js';

/**
 * NYDUS_CONFIG_MEDIA_TYPE is the config media type of a Nydus manifest inside a
 * merged index (`--merge-platform`), as nydusify writes it: a containerd without
 * Nydus support skips a manifest whose config type it does not know.
 */
export const NYDUS_CONFIG_MEDIA_TYPE = 'application/vnd.nydus.image.config.v1+json';

/** History entry appended for the bootstrap layer, as nydusify writes it. */
export const BOOTSTRAP_HISTORY = { created_by: 'Nydus Converter', comment: 'Nydus Bootstrap Layer' };

/** A converted data blob as the manifest lists it. */
export interface BlobLayer {
  digest: string;
  size: number;
}

/** NydusImage is the rewritten manifest and config, as bytes ready to store. */
export interface NydusImage {
  manifest: Manifest;
  manifestBytes: Buffer;
  manifestDesc: Descriptor;
  configBytes: Buffer;
  configDesc: Descriptor;
}

/** Inputs of `buildNydusImage`. */
export interface NydusImageParts {
  source: SourceImage;
  blobs: BlobLayer[];
  bootstrap: { digest: string; diffId: string; size: number };
  /** `--with-referrer`: point at the source manifest through `subject`. */
  referrer?: boolean;
  /** `--merge-platform`: the Nydus config media type, and an entry marked as Nydus. */
  merged?: boolean;
}

/**
 * Builds the Nydus manifest and config: one Nydus blob layer per source layer, the
 * bootstrap layer last; `rootfs.diff_ids` and `history` rewritten, every other
 * config field kept as the source had it.
 *
 * The result always uses OCI media types, also for a Docker source: a Docker
 * schema2 manifest cannot name the Nydus blob media type in a way other tools
 * accept (skopeo refuses to copy one, and OCI layouts' readers skip Docker
 * manifests), while every Nydus-aware runtime reads OCI.
 */
export function buildNydusImage(parts: NydusImageParts): NydusImage {
  const { source, blobs, bootstrap } = parts;
  const configBytes = Buffer.from(JSON.stringify(rewriteConfig(source.configBytes, blobs, bootstrap.diffId)));
  const configDesc: Descriptor = {
    mediaType: parts.merged === true ? NYDUS_CONFIG_MEDIA_TYPE : MEDIA_TYPE.ociConfig,
    digest: sha256Digest(configBytes),
    size: configBytes.length,
  };
  const layers: Descriptor[] = blobs.map((b) => ({
    mediaType: MEDIA_TYPE.nydusBlob,
    digest: b.digest,
    size: b.size,
    annotations: { [NYDUS_ANNOTATION.blob]: 'true' },
  }));
  layers.push({
    mediaType: MEDIA_TYPE.ociLayerGzip,
    digest: bootstrap.digest,
    size: bootstrap.size,
    annotations: { [NYDUS_ANNOTATION.bootstrap]: 'true', [NYDUS_ANNOTATION.fsVersion]: '6' },
  });
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociManifest,
    config: configDesc,
    layers,
  };
  if (parts.referrer === true) {
    manifest.artifactType = NYDUS_ARTIFACT_TYPE;
    // No `platform` in the subject: ECR refuses a manifest whose subject has one.
    manifest.subject = { mediaType: source.manifestMediaType, digest: source.manifestDigest, size: source.manifestBytes.length };
  }
  manifest.annotations = {
    [NYDUS_ANNOTATION.fsVersion]: '6',
    [NYDUS_ANNOTATION.sourceDigest]: source.manifestDigest,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2));
  const manifestDesc: Descriptor = {
    mediaType: manifest.mediaType as string,
    digest: sha256Digest(manifestBytes),
    size: manifestBytes.length,
  };
  if (source.platform) manifestDesc.platform = source.platform;
  if (parts.merged === true) {
    manifestDesc.artifactType = NYDUS_ARTIFACT_TYPE;
    manifestDesc.platform ??= configPlatform(source.configBytes);
  }
  return { manifest, manifestBytes, manifestDesc, configBytes, configDesc };
}

/**
 * configPlatform reads os, architecture and variant from an image config, for an
 * index entry of an image that did not come from an index.
 */
export function configPlatform(configBytes: Buffer): Platform {
  const config = parseConfig(configBytes, 'source', 'image config');
  const platform: Platform = { os: config.os, architecture: config.architecture };
  if (config.variant !== undefined && config.variant !== '') platform.variant = config.variant;
  return platform;
}

function rewriteConfig(bytes: Buffer, blobs: BlobLayer[], bootstrapDiffId: string): Record<string, unknown> {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ImageError('source', `image config is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ImageError('source', 'image config is not a JSON object');
  }
  // A Nydus blob is its own "uncompressed" form, so its diff_id is its digest.
  config.rootfs = { type: 'layers', diff_ids: [...blobs.map((b) => b.digest), bootstrapDiffId] };
  if (Array.isArray(config.history)) {
    config.history = [...config.history, BOOTSTRAP_HISTORY];
  }
  return config;
}
