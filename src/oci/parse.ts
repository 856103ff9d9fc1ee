/**
 * Parsing and checking manifests, indexes and image configs from bytes.
 *
 * Every reader takes the side ('source' or 'target') and a `what` naming the content
 * (usually with its digest) so that a failure reads as "source: manifest sha256:…:
 * layers[2].digest is missing". Sizes are bounded before JSON.parse ever runs.
 */
import { ImageError } from '../errors.js';
import { isDigest } from './digest.js';
import { MEDIA_TYPE, isIndexMediaType } from './types.js';
import type { Descriptor, Index, Manifest, Platform } from './types.js';

/** MAX_MANIFEST_BYTES bounds manifests and indexes, as registries do (4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** MAX_CONFIG_BYTES bounds image configs; long histories stay far below it. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

type Side = 'source' | 'target';

/** ImageConfig is the part of an image config the converter reads. */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  rootfs: { type: string; diff_ids: string[] };
}

/** ManifestOrIndex is what a manifest-shaped blob turned out to be. */
export type ManifestOrIndex =
  | { kind: 'manifest'; manifest: Manifest; mediaType: string }
  | { kind: 'index'; index: Index; mediaType: string };

/** parseJson decodes a bounded JSON object, throwing ImageError naming `what`. */
export function parseJson(
  bytes: Buffer,
  limit: number,
  side: Side,
  what: string,
): Record<string, unknown> {
  if (bytes.length > limit) {
    throw new ImageError(side, `${what}: ${bytes.length} bytes is over the ${limit}-byte limit`);
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ImageError(side, `${what}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ImageError(side, `${what}: not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** checkDescriptor validates one descriptor found at `path` inside `what`. */
export function checkDescriptor(
  value: unknown,
  side: Side,
  what: string,
  path: string,
): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ImageError(side, `${what}: ${path} is not an object`);
  }
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') {
    throw new ImageError(side, `${what}: ${path}.mediaType is missing`);
  }
  if (d.digest === undefined) throw new ImageError(side, `${what}: ${path}.digest is missing`);
  if (!isDigest(d.digest)) {
    throw new ImageError(side, `${what}: ${path}.digest ${JSON.stringify(d.digest)} is not sha256:<64 hex>`);
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new ImageError(side, `${what}: ${path}.size ${JSON.stringify(d.size)} is not a byte count`);
  }
  if (d.platform !== undefined) checkPlatform(d.platform, side, what, `${path}.platform`);
  return d as unknown as Descriptor;
}

function checkPlatform(value: unknown, side: Side, what: string, path: string): Platform {
  const p = value as Record<string, unknown> | null;
  if (typeof p !== 'object' || p === null || typeof p.os !== 'string' || typeof p.architecture !== 'string') {
    throw new ImageError(side, `${what}: ${path} needs string os and architecture`);
  }
  return p as unknown as Platform;
}

function checkSchemaVersion(obj: Record<string, unknown>, side: Side, what: string): void {
  if (obj.schemaVersion === 1) {
    throw new ImageError(side, `${what}: docker schema 1 manifests are not supported`, {
      hint: 'convert the image to schema 2 first, for example with skopeo copy',
    });
  }
  if (obj.schemaVersion !== 2) {
    throw new ImageError(side, `${what}: schemaVersion ${JSON.stringify(obj.schemaVersion)} is not 2`);
  }
}

/** parseManifest reads an OCI image manifest or Docker schema2 manifest. */
export function parseManifest(bytes: Buffer, side: Side, what: string): Manifest {
  const parsed = parseManifestOrIndex(bytes, side, what);
  if (parsed.kind !== 'manifest') throw new ImageError(side, `${what}: is an index, not a manifest`);
  return parsed.manifest;
}

/** parseIndex reads an OCI image index or Docker manifest list. */
export function parseIndex(bytes: Buffer, side: Side, what: string): Index {
  const parsed = parseManifestOrIndex(bytes, side, what);
  if (parsed.kind !== 'index') throw new ImageError(side, `${what}: is a manifest, not an index`);
  return parsed.index;
}

/**
 * parseManifestOrIndex reads a manifest-shaped blob and says which it is: by its
 * `mediaType` field, else by `hint` (the descriptor's media type), else by shape
 * (`manifests` means an index), since OCI lets the field be absent.
 */
export function parseManifestOrIndex(
  bytes: Buffer,
  side: Side,
  what: string,
  hint?: string,
): ManifestOrIndex {
  const obj = parseJson(bytes, MAX_MANIFEST_BYTES, side, what);
  checkSchemaVersion(obj, side, what);
  if (obj.mediaType !== undefined && typeof obj.mediaType !== 'string') {
    throw new ImageError(side, `${what}: mediaType is not a string`);
  }
  const mediaType = (obj.mediaType as string | undefined) ?? hint;
  const isIndex = mediaType !== undefined ? isIndexMediaType(mediaType) : Array.isArray(obj.manifests);
  if (isIndex) {
    return { kind: 'index', index: checkIndex(obj, side, what), mediaType: mediaType ?? MEDIA_TYPE.ociIndex };
  }
  const manifestTypes: string[] = [MEDIA_TYPE.ociManifest, MEDIA_TYPE.dockerManifest];
  if (mediaType !== undefined && !manifestTypes.includes(mediaType)) {
    throw new ImageError(side, `${what}: media type ${mediaType} is not an image manifest`);
  }
  return {
    kind: 'manifest',
    manifest: checkManifest(obj, side, what),
    mediaType: mediaType ?? MEDIA_TYPE.ociManifest,
  };
}

function checkManifest(obj: Record<string, unknown>, side: Side, what: string): Manifest {
  if (obj.config === undefined) throw new ImageError(side, `${what}: config is missing`);
  checkDescriptor(obj.config, side, what, 'config');
  if (!Array.isArray(obj.layers)) throw new ImageError(side, `${what}: layers is missing`);
  obj.layers.forEach((layer, i) => checkDescriptor(layer, side, what, `layers[${i}]`));
  return obj as unknown as Manifest;
}

function checkIndex(obj: Record<string, unknown>, side: Side, what: string): Index {
  // Docker 25 writes `"manifests": null` in the index.json of a `docker save`
  // archive; an absent or null list is read as empty rather than refused.
  if (obj.manifests === null || obj.manifests === undefined) return { ...obj, manifests: [] } as unknown as Index;
  if (!Array.isArray(obj.manifests)) throw new ImageError(side, `${what}: manifests is not a list`);
  obj.manifests.forEach((m, i) => checkDescriptor(m, side, what, `manifests[${i}]`));
  return obj as unknown as Index;
}

/** parseConfig reads an image config and checks the fields the converter needs. */
export function parseConfig(bytes: Buffer, side: Side, what: string): ImageConfig {
  const obj = parseJson(bytes, MAX_CONFIG_BYTES, side, what);
  for (const field of ['architecture', 'os'] as const) {
    if (typeof obj[field] !== 'string') throw new ImageError(side, `${what}: ${field} is missing`);
  }
  const rootfs = obj.rootfs as Record<string, unknown> | undefined;
  if (typeof rootfs !== 'object' || rootfs === null) throw new ImageError(side, `${what}: rootfs is missing`);
  if (!Array.isArray(rootfs.diff_ids)) throw new ImageError(side, `${what}: rootfs.diff_ids is missing`);
  rootfs.diff_ids.forEach((id, i) => {
    if (!isDigest(id)) {
      throw new ImageError(side, `${what}: rootfs.diff_ids[${i}] ${JSON.stringify(id)} is not sha256:<64 hex>`);
    }
  });
  return obj as unknown as ImageConfig;
}
