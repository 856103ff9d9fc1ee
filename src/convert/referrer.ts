/**
 * `--with-referrer`: the Nydus manifest names its source manifest through
 * `subject` (set in image.ts), and can then be found from the source.
 *
 * - A registry with the referrers API indexes `subject` by itself.
 * - A registry without it (distribution 2.8 answers 404) gets the distribution
 *   spec's fallback: an index tagged `sha256-<hex of the source digest>` in the
 *   target repository, read, extended and written back, so other referrers
 *   already listed there stay.
 * - An OCI layout has no referrers API; only `subject` is written, and no
 *   fallback tag: a `sha256-…` tag in index.json would show up among the layout's
 *   images to every tool that lists them.
 * References: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-manifests-with-subject
 */
import { ImageError, UsageError } from '../errors.js';
import type { Descriptor, Index, Platform } from '../oci/types.js';
import { addToFallbackIndex, getReferrers, readFallbackIndex } from '../registry/referrers.js';
import type { Repository } from '../registry/repository.js';
import type { OpenOptions } from '../transport/open.js';
import { parseReference } from '../transport/reference.js';
import { RegistrySource } from '../transport/registry-source.js';
import { RegistryTarget } from '../transport/registry-target.js';
import { NYDUS_ARTIFACT_TYPE } from '../transport/select.js';
import type { ImageTarget } from '../transport/types.js';

/** Referral is one Nydus manifest and the source manifest it refers to. */
export interface Referral {
  subject: string;
  /** The Nydus manifest, as a referrers list names it. */
  referrer: Descriptor;
}

/** referrerDescriptor is the referrers-list entry of a manifest with `artifactType`. */
export function referrerDescriptor(desc: Descriptor, annotations?: Record<string, string>): Descriptor {
  const entry: Descriptor = {
    mediaType: desc.mediaType, digest: desc.digest, size: desc.size, artifactType: NYDUS_ARTIFACT_TYPE,
  };
  if (annotations !== undefined) entry.annotations = annotations;
  return entry;
}

/**
 * publishReferrals maintains the fallback tag of each subject at a registry
 * target that has no referrers API, after the Nydus manifests are pushed (the
 * registry refuses an index naming manifests it does not hold). Returns how each
 * subject was published: `api`, `tag`, or `subject` only (not a registry).
 */
export async function publishReferrals(
  target: ImageTarget,
  referrals: Referral[],
): Promise<'api' | 'tag' | 'subject'> {
  if (!(target instanceof RegistryTarget) || referrals.length === 0) return 'subject';
  const repo = target.repository;
  try {
    let via: 'api' | 'tag' = 'api';
    for (const { subject, referrer } of referrals) {
      if ((await getReferrers(repo, subject)) !== undefined) continue;
      await addToFallbackIndex(repo, subject, referrer);
      via = 'tag';
    }
    return via;
  } finally {
    await repo.client.close();
  }
}

/** ReferrerList is a subject's referrers and where they were found. */
export interface ReferrerList {
  subject: string;
  /** `api`: the referrers API; `tag`: the `sha256-<hex>` fallback tag (empty when absent). */
  via: 'api' | 'tag';
  referrers: Descriptor[];
}

/** listReferrers asks the referrers API, else reads the fallback tag. */
export async function listReferrers(repo: Repository, subject: string): Promise<ReferrerList> {
  const api = await getReferrers(repo, subject);
  if (api !== undefined) return { subject, via: 'api', referrers: api.manifests };
  const index: Index = await readFallbackIndex(repo, subject);
  return { subject, via: 'tag', referrers: index.manifests };
}

/**
 * findNydusReferrer returns the Nydus manifest referring to `subject`: the last
 * one listed with the Nydus artifact type (the newest, for a fallback tag, which
 * appends). Throws an ImageError when there is none.
 */
export async function findNydusReferrer(
  repo: Repository,
  subject: string,
): Promise<{ desc: Descriptor; via: 'api' | 'tag' }> {
  const list = await listReferrers(repo, subject);
  const nydus = list.referrers.filter((d) => d.artifactType === NYDUS_ARTIFACT_TYPE);
  const desc = nydus.at(-1);
  if (desc === undefined) {
    const looked = list.via === 'api' ? 'through the referrers API' : 'at the sha256-… fallback tag';
    throw new ImageError('target', `${repo.toString()}@${subject} has no Nydus referrer (looked ${looked})`, {
      hint: 'convert it with --with-referrer first, or name the Nydus image itself',
    });
  }
  return { desc, via: list.via };
}

/** FoundReferrer is the Nydus image found from a source reference. */
export interface FoundReferrer {
  /** `REGISTRY/REPO@DIGEST` of the Nydus manifest. */
  reference: string;
  /** The source manifest it refers to. */
  subject: string;
  via: 'api' | 'tag';
}

/**
 * findNydusImage resolves a registry source reference (choosing `platform` from an
 * index) and finds the Nydus manifest that refers to the resulting manifest, in the
 * same repository.
 */
export async function findNydusImage(
  sourceText: string,
  opts: OpenOptions & { platform?: Platform },
): Promise<FoundReferrer> {
  const ref = parseReference(sourceText, 'target');
  if (ref.transport !== 'registry') {
    throw new UsageError(`${sourceText}: referrers are looked up in registries only`, {
      hint: 'an OCI layout has no referrers API; name the Nydus image itself',
    });
  }
  const source = new RegistrySource(sourceText, ref, opts);
  try {
    const image = await source.resolve({ platform: opts.platform });
    const found = await findNydusReferrer(source.repository, image.manifestDigest);
    const reference = `${ref.registry}/${ref.repository}@${found.desc.digest}`;
    return { reference, subject: image.manifestDigest, via: found.via };
  } finally {
    await source.close();
  }
}
