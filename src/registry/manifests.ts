/**
 * Manifests at a registry: GET and HEAD with an Accept list of the OCI and Docker
 * manifest and index types, PUT by tag or by digest, bounded in size and checked
 * against `Docker-Content-Digest` and, when asked by digest, against the reference.
 *
 * distribution 2.8 answers 404 for an OCI manifest asked for without an OCI type in
 * Accept, so all four types are always listed.
 * References: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 */
import { DigestMismatchError } from '../errors.js';
import { isDigest, sha256Digest } from '../oci/digest.js';
import { MAX_MANIFEST_BYTES } from '../oci/parse.js';
import { MEDIA_TYPE, type Descriptor } from '../oci/types.js';
import { RegistryError } from './errors.js';
import { discard, header, readBounded } from './http.js';
import type { Repository } from './repository.js';

/** MANIFEST_ACCEPT lists every manifest and index type this package reads. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPE.ociManifest,
  MEDIA_TYPE.ociIndex,
  MEDIA_TYPE.dockerManifest,
  MEDIA_TYPE.dockerManifestList,
].join(', ');

/** FetchedManifest is a manifest or index as the registry stores it. */
export interface FetchedManifest {
  bytes: Buffer;
  /** The computed digest, checked against the registry's and the reference's. */
  digest: string;
  /** The Content-Type the registry answered with. */
  mediaType: string;
}

function manifestUrl(repo: Repository, reference: string): string {
  return repo.path(`manifests/${encodeURIComponent(reference)}`);
}

/** getManifest fetches a manifest or index by tag or digest, verified. */
export async function getManifest(repo: Repository, reference: string): Promise<FetchedManifest> {
  const res = await repo.client.request({
    method: 'GET', url: manifestUrl(repo, reference), scopes: repo.pullScopes,
    headers: { accept: MANIFEST_ACCEPT }, ok: [200],
  });
  const what = `manifest ${repo.toString()}:${reference}`;
  const declared = Number(header(res, 'content-length') ?? '0');
  const bytes = declared > MAX_MANIFEST_BYTES ? undefined : await readBounded(res.body, MAX_MANIFEST_BYTES);
  if (bytes === undefined) {
    await discard(res.body);
    throw new RegistryError({
      side: repo.client.side, method: 'GET', url: res.url, status: res.status,
      detail: `${what} is over the ${MAX_MANIFEST_BYTES}-byte limit`,
    });
  }
  const digest = sha256Digest(bytes);
  const stated = header(res, 'docker-content-digest');
  if (stated !== undefined && stated.startsWith('sha256:') && stated !== digest) {
    throw new DigestMismatchError(`${what} (Docker-Content-Digest)`, stated, digest);
  }
  if (isDigest(reference) && reference !== digest) throw new DigestMismatchError(what, reference, digest);
  const mediaType = (header(res, 'content-type') ?? '').split(';')[0]?.trim() ?? '';
  return { bytes, digest, mediaType };
}

/**
 * headManifest returns the descriptor the registry gives for a tag or digest, or
 * undefined when it does not exist (404).
 */
export async function headManifest(repo: Repository, reference: string): Promise<Descriptor | undefined> {
  const res = await repo.client.request({
    method: 'HEAD', url: manifestUrl(repo, reference), scopes: repo.pullScopes,
    headers: { accept: MANIFEST_ACCEPT }, ok: [200, 404],
  });
  await discard(res.body);
  if (res.status === 404) return undefined;
  const digest = header(res, 'docker-content-digest') ?? (isDigest(reference) ? reference : '');
  return {
    mediaType: (header(res, 'content-type') ?? '').split(';')[0]?.trim() ?? '',
    digest,
    size: Number(header(res, 'content-length') ?? '0'),
  };
}

/**
 * putManifest stores a manifest or index under a tag or under its digest and
 * returns its digest. A PUT of the same bytes is idempotent, so it is retried.
 */
export async function putManifest(
  repo: Repository,
  reference: string,
  bytes: Buffer,
  mediaType: string,
): Promise<string> {
  const digest = sha256Digest(bytes);
  if (isDigest(reference) && reference !== digest) {
    throw new DigestMismatchError(`manifest for ${repo.toString()}@${reference}`, reference, digest);
  }
  const res = await repo.client.request({
    method: 'PUT', url: manifestUrl(repo, reference), scopes: repo.pushScopes,
    headers: { 'content-type': mediaType }, body: () => bytes, ok: [200, 201, 202], retry: true,
  });
  await discard(res.body);
  const stated = header(res, 'docker-content-digest');
  if (stated !== undefined && stated.startsWith('sha256:') && stated !== digest) {
    throw new DigestMismatchError(`manifest pushed to ${repo.toString()}:${reference}`, digest, stated);
  }
  return digest;
}

/** deleteManifest removes a manifest by digest (the registry must allow deletes). */
export async function deleteManifest(repo: Repository, digest: string): Promise<void> {
  const res = await repo.client.request({
    method: 'DELETE', url: manifestUrl(repo, digest), ok: [202],
    scopes: [`repository:${repo.name}:delete`, ...repo.pushScopes],
  });
  await discard(res.body);
}
