/**
 * Referrers: the images that point at a manifest through their `subject` field.
 *
 * - The referrers API, `GET /v2/<name>/referrers/<digest>`, answers an image index;
 *   404 means the registry does not offer the API (distribution 2.8 does not).
 * - Without it, the distribution spec's fallback is an image index tagged
 *   `sha256-<hex of the subject digest>` that clients read, extend and write back.
 * References: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers,
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#referrers-tag-schema
 */
import { parseDigest } from '../oci/digest.js';
import { MAX_MANIFEST_BYTES, parseIndex } from '../oci/parse.js';
import { MEDIA_TYPE, type Descriptor, type Index } from '../oci/types.js';
import { discard, readBounded } from './http.js';
import { RegistryError } from './errors.js';
import { getManifest, headManifest, putManifest } from './manifests.js';
import type { Repository } from './repository.js';

/** getReferrers lists referrers through the API; undefined when the registry has no such API. */
export async function getReferrers(
  repo: Repository,
  subject: string,
  artifactType?: string,
): Promise<Index | undefined> {
  parseDigest(subject, 'subject');
  const query = artifactType === undefined ? '' : `?${new URLSearchParams({ artifactType }).toString()}`;
  const res = await repo.client.request({
    method: 'GET', url: repo.path(`referrers/${subject}${query}`), scopes: repo.pullScopes,
    headers: { accept: MEDIA_TYPE.ociIndex }, ok: [200, 404],
  });
  if (res.status === 404) {
    await discard(res.body);
    return undefined;
  }
  const bytes = await readBounded(res.body, MAX_MANIFEST_BYTES);
  if (bytes === undefined) {
    throw new RegistryError({
      side: repo.client.side, method: 'GET', url: res.url, status: res.status, detail: 'referrers list over the size limit',
    });
  }
  return parseIndex(bytes, repo.client.side, `referrers of ${subject}`);
}

/** fallbackTag is the referrers tag of a subject: `sha256:abc…` becomes `sha256-abc…`. */
export function fallbackTag(subject: string): string {
  const { algorithm, hex } = parseDigest(subject, 'subject');
  return `${algorithm}-${hex}`;
}

/** emptyIndex is an OCI image index with no entries. */
export function emptyIndex(): Index {
  return { schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: [] };
}

/** readFallbackIndex reads a subject's referrers tag; an empty index when the tag is absent. */
export async function readFallbackIndex(repo: Repository, subject: string): Promise<Index> {
  const tag = fallbackTag(subject);
  if ((await headManifest(repo, tag)) === undefined) return emptyIndex();
  const fetched = await getManifest(repo, tag);
  return parseIndex(fetched.bytes, repo.client.side, `referrers tag ${tag}`);
}

/** addReferrer returns `index` with `desc` in it, replacing an entry of the same digest. */
export function addReferrer(index: Index, desc: Descriptor): Index {
  const manifests = index.manifests.filter((m) => m.digest !== desc.digest);
  manifests.push(desc);
  return { ...index, schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests };
}

/** writeFallbackIndex stores `index` under the subject's referrers tag and returns its digest. */
export async function writeFallbackIndex(repo: Repository, subject: string, index: Index): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(index));
  return putManifest(repo, fallbackTag(subject), bytes, MEDIA_TYPE.ociIndex);
}

/**
 * addToFallbackIndex reads the subject's referrers tag, adds `desc`, and writes it
 * back, keeping the entries others put there. Two writers racing can lose one
 * entry: the tag schema has no compare-and-swap, and the spec accepts this.
 */
export async function addToFallbackIndex(repo: Repository, subject: string, desc: Descriptor): Promise<string> {
  const index = await readFallbackIndex(repo, subject);
  return writeFallbackIndex(repo, subject, addReferrer(index, desc));
}
