/**
 * Choosing one image out of an index: by tag (the OCI `ref.name` annotation) at the
 * top of a layout, then by platform in image indexes. Errors list what there was to
 * choose from, so the user can name it.
 */
import { ImageError } from '../errors.js';
import { formatPlatform, normalizePlatform, platformMatches } from '../oci/platform.js';
import type { Descriptor, Index, Platform } from '../oci/types.js';

/** NYDUS_ARTIFACT_TYPE marks a Nydus manifest (in an index entry or a referrer). */
export const NYDUS_ARTIFACT_TYPE = 'application/vnd.nydus.image.manifest.v1+json';
/** NYDUS_OS_FEATURE is the older mark of a Nydus index entry, in `platform.os.features`. */
export const NYDUS_OS_FEATURE = 'nydus.remoteimage.v1';

/**
 * Prefer says which entries of an index a platform choice looks at first: the
 * plain images (what a runtime without Nydus picks), or the Nydus-marked ones.
 * Either way, when an index has none of the preferred kind, the others are used.
 */
export type Prefer = 'original' | 'nydus';

/**
 * isNydusEntry tells whether an index entry is marked as a Nydus manifest, in the
 * current form (`artifactType`) or the form used before Aug 2025 (`os.features`).
 */
export function isNydusEntry(desc: Descriptor): boolean {
  return desc.artifactType === NYDUS_ARTIFACT_TYPE || (desc.platform?.['os.features'] ?? []).includes(NYDUS_OS_FEATURE);
}

/** preferred returns the entries of the preferred kind, or all when there are none. */
export function preferred(entries: Descriptor[], prefer: Prefer = 'original'): Descriptor[] {
  const wanted = entries.filter((e) => isNydusEntry(e) === (prefer === 'nydus'));
  return wanted.length === 0 ? entries : wanted;
}

/**
 * imageEntries lists the entries of an index that `--all-platforms` converts: the
 * preferred kind (see `preferred`), without attestation manifests (BuildKit writes
 * them with platform `unknown/unknown`).
 */
export function imageEntries(entries: Descriptor[], prefer: Prefer = 'original'): Descriptor[] {
  return preferred(entries.filter((e) => e.platform?.os !== 'unknown'), prefer);
}

/** REF_NAME_ANNOTATION holds an OCI layout entry's tag. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** refName returns an index entry's tag, if it has one. */
export function refName(desc: Descriptor): string | undefined {
  return desc.annotations?.[REF_NAME_ANNOTATION];
}

function listTags(entries: Descriptor[]): string {
  const tags = entries.map(refName).filter((t): t is string => t !== undefined);
  return tags.length === 0 ? 'none' : tags.join(', ');
}

/**
 * pickTagged chooses among a layout's top-level entries. With a tag: the entries
 * carrying it (several are then chosen among by platform). Without: the only entry,
 * or, when no entry is tagged, a choice by platform; else an error listing tags.
 */
export function pickTagged(
  index: Index,
  tag: string | undefined,
  want: Platform,
  what: string,
  prefer: Prefer = 'original',
): Descriptor {
  const entries = index.manifests;
  if (entries.length === 0) throw new ImageError('source', `${what}: holds no images`);
  if (tag !== undefined) {
    const tagged = entries.filter((e) => refName(e) === tag);
    if (tagged.length === 0) {
      throw new ImageError('source', `${what}: no image tagged ${JSON.stringify(tag)}; tags: ${listTags(entries)}`);
    }
    return tagged.length === 1 ? (tagged[0] as Descriptor) : pickPlatform(tagged, want, what, prefer);
  }
  if (entries.length === 1) return entries[0] as Descriptor;
  if (entries.every((e) => refName(e) === undefined)) return pickPlatform(entries, want, what, prefer);
  const tags = listTags(entries);
  throw new ImageError('source', `${what}: holds ${entries.length} images; tags: ${tags}`, {
    hint: 'add :TAG to the reference to choose one',
  });
}

/**
 * pickPlatform chooses the index entry built for `want`. A lone entry without a
 * platform is taken as is (a single-image index written by tools that omit it).
 * Among several matches, one without a variant is preferred, then index order.
 * Entries of the kind `prefer` names are looked at first: by default the plain
 * images, so a merged index (`--merge-platform`) resolves to the original image
 * as a runtime without Nydus would, unless only Nydus entries fit.
 */
export function pickPlatform(
  entries: Descriptor[],
  want: Platform,
  what: string,
  prefer: Prefer = 'original',
): Descriptor {
  if (entries.length === 1 && entries[0]?.platform === undefined) return entries[0] as Descriptor;
  const fits = (list: Descriptor[]) => list.filter((e) => e.platform !== undefined && platformMatches(e.platform, want));
  const first = fits(preferred(entries, prefer));
  const matches = first.length > 0 ? first : fits(entries);
  const plain = matches.find((e) => e.platform?.variant === undefined);
  const chosen = plain ?? matches[0];
  if (chosen === undefined) {
    const available = entries.map((e) => (e.platform === undefined ? 'unspecified' : formatPlatform(e.platform)));
    const wanted = formatPlatform(normalizePlatform(want));
    const list = [...new Set(available)].join(', ');
    throw new ImageError('source', `${what}: no image for platform ${wanted}; available: ${list}`, {
      hint: 'choose one of the available platforms',
    });
  }
  return chosen;
}
