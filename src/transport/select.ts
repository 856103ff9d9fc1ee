/**
 * Choosing one image out of an index: by tag (the OCI `ref.name` annotation) at the
 * top of a layout, then by platform in image indexes. Errors list what there was to
 * choose from, so the user can name it.
 */
import { ImageError } from '../errors.js';
import { formatPlatform, normalizePlatform, platformMatches } from '../oci/platform.js';
import type { Descriptor, Index, Platform } from '../oci/types.js';

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
): Descriptor {
  const entries = index.manifests;
  if (entries.length === 0) throw new ImageError('source', `${what}: holds no images`);
  if (tag !== undefined) {
    const tagged = entries.filter((e) => refName(e) === tag);
    if (tagged.length === 0) {
      throw new ImageError('source', `${what}: no image tagged ${JSON.stringify(tag)}; tags: ${listTags(entries)}`);
    }
    return tagged.length === 1 ? (tagged[0] as Descriptor) : pickPlatform(tagged, want, what);
  }
  if (entries.length === 1) return entries[0] as Descriptor;
  if (entries.every((e) => refName(e) === undefined)) return pickPlatform(entries, want, what);
  const tags = listTags(entries);
  throw new ImageError('source', `${what}: holds ${entries.length} images; tags: ${tags}`, {
    hint: 'add :TAG to the reference to choose one',
  });
}

/**
 * pickPlatform chooses the index entry built for `want`. A lone entry without a
 * platform is taken as is (a single-image index written by tools that omit it).
 * Among several matches, one without a variant is preferred, then index order.
 */
export function pickPlatform(entries: Descriptor[], want: Platform, what: string): Descriptor {
  if (entries.length === 1 && entries[0]?.platform === undefined) return entries[0] as Descriptor;
  const matches = entries.filter((e) => e.platform !== undefined && platformMatches(e.platform, want));
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
