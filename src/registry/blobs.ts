/**
 * Blobs at a registry: HEAD for existence, GET streamed with the digest verified,
 * and upload.
 *
 * Upload steps (distribution spec, "pushing blobs"):
 * 1. with a source repository in the same registry, try a cross-repository mount:
 *    `POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<repo>`; 201 means mounted
 *    and done; 202 means the registry opened an ordinary upload instead;
 * 2. otherwise `POST /v2/<name>/blobs/uploads/`, answered 202 with a Location;
 * 3. monolithic: `PUT <location>?digest=<digest>` with the whole blob; or chunked:
 *    `PATCH <location>` with `Content-Range: start-end` per chunk (each answer gives
 *    the next Location), then `PUT <location>?digest=<digest>` with no body.
 * Locations may be relative or absolute, and keep their own query (the upload
 * state), to which `digest` is added. A failed step that may succeed on a second
 * try restarts the whole upload from step 1: an upload session is not resumed.
 * References: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { verifyStream } from '../oci/digest.js';
import type { Descriptor } from '../oci/types.js';
import { repositoryScope } from './auth.js';
import { RegistryError } from './errors.js';
import { discard, header, type HttpResponse } from './http.js';
import type { Repository } from './repository.js';
import { Retryable, withRetries } from './retry.js';

/** BlobContent is something a blob can be read from, whole or by byte range. */
export interface BlobContent {
  size: number;
  /** Opens bytes [start, end) of the blob. */
  open(start: number, end: number): Buffer | Readable;
}

/** fileContent reads a blob from a file. */
export function fileContent(path: string, size: number): BlobContent {
  return {
    size,
    open: (start, end) => (end <= start ? Buffer.alloc(0) : createReadStream(path, { start, end: end - 1 })),
  };
}

/** bytesContent reads a blob held in memory. */
export function bytesContent(bytes: Buffer): BlobContent {
  return { size: bytes.length, open: (start, end) => bytes.subarray(start, end) };
}

/** UploadOptions choose how a blob is sent. */
export interface UploadOptions {
  /** Send in PATCH chunks of this many bytes; monolithic PUT when absent. */
  chunkSize?: number;
  /** Repositories of the same registry that may hold the blob already, for a mount. */
  mountFrom?: string[];
}

/** UploadOutcome says how a blob came to be at the target. */
export type UploadOutcome = 'mounted' | 'uploaded';

function blobUrl(repo: Repository, digest: string): string {
  return repo.path(`blobs/${digest}`);
}

/** headBlob returns the size of a blob in the repository, or undefined when it is absent. */
export async function headBlob(
  repo: Repository,
  digest: string,
  scopes = repo.pullScopes,
): Promise<number | undefined> {
  const res = await repo.client.request({ method: 'HEAD', url: blobUrl(repo, digest), scopes, ok: [200, 404] });
  await discard(res.body);
  if (res.status === 404) return undefined;
  return Number(header(res, 'content-length') ?? '0');
}

/**
 * openBlob streams a blob; the stream fails at its end when size or digest differ.
 * Only the request is retried: a connection lost after the first body bytes fails
 * the stream, because resuming would need a Range request from the byte reached,
 * which this reader does not make. The caller then fails its step as a whole.
 */
export async function openBlob(repo: Repository, desc: Descriptor): Promise<Readable> {
  const res = await repo.client.request({
    method: 'GET', url: blobUrl(repo, desc.digest), scopes: repo.pullScopes, ok: [200],
  });
  return verifyStream(res.body, desc, `blob ${desc.digest} from ${repo.toString()}`);
}

/** withDigest adds `digest=` to an upload Location, keeping the query it has. */
export function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url;
}

function nextLocation(repo: Repository, res: Pick<HttpResponse, 'headers' | 'url'>, method: string): URL {
  const location = header(res, 'location');
  if (location === undefined) {
    throw new RegistryError({
      side: repo.client.side, method, url: res.url, detail: 'upload answer has no Location header',
    });
  }
  return new URL(location, res.url);
}

/** uploadBlob sends a blob by mount, monolithic PUT or chunks; retried from the start. */
export async function uploadBlob(
  repo: Repository,
  desc: Descriptor,
  content: BlobContent,
  options: UploadOptions = {},
): Promise<UploadOutcome> {
  return withRetries(repo.client.retryPolicy, async () => {
    try {
      return await uploadOnce(repo, desc, content, options);
    } catch (err) {
      if (err instanceof RegistryError && err.retryable) throw new Retryable(err, err.retryAfterMs);
      throw err;
    }
  });
}

async function uploadOnce(
  repo: Repository,
  desc: Descriptor,
  content: BlobContent,
  options: UploadOptions,
): Promise<UploadOutcome> {
  let location: URL | undefined;
  for (const from of options.mountFrom ?? []) {
    if (from === repo.name) continue;
    const query = new URLSearchParams({ mount: desc.digest, from });
    const res = await repo.client.request({
      method: 'POST', url: repo.path(`blobs/uploads/?${query.toString()}`),
      scopes: [...repo.pushScopes, repositoryScope(from, 'pull')], headers: { 'content-length': '0' }, ok: [201, 202],
    });
    await discard(res.body);
    if (res.status === 201) return 'mounted';
    // 202: no mount, but an upload session is open; use it rather than start another.
    location = nextLocation(repo, res, 'POST');
    break;
  }
  location ??= await startUpload(repo);
  if (options.chunkSize !== undefined && options.chunkSize > 0 && content.size > 0) {
    location = await sendChunks(repo, location, content, options.chunkSize);
    await finishUpload(repo, location, desc, undefined);
  } else {
    await finishUpload(repo, location, desc, content);
  }
  return 'uploaded';
}

async function startUpload(repo: Repository): Promise<URL> {
  const res = await repo.client.request({
    method: 'POST', url: repo.path('blobs/uploads/'), scopes: repo.pushScopes,
    headers: { 'content-length': '0' }, ok: [202],
  });
  await discard(res.body);
  return nextLocation(repo, res, 'POST');
}

async function sendChunks(repo: Repository, start: URL, content: BlobContent, chunkSize: number): Promise<URL> {
  let location = start;
  for (let offset = 0; offset < content.size; offset += chunkSize) {
    const end = Math.min(content.size, offset + chunkSize);
    const res = await repo.client.request({
      method: 'PATCH', url: location.toString(), scopes: repo.pushScopes,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(end - offset),
        'content-range': `${offset}-${end - 1}`,
      },
      body: () => content.open(offset, end), ok: [202],
    });
    await discard(res.body);
    location = nextLocation(repo, res, 'PATCH');
  }
  return location;
}

async function finishUpload(
  repo: Repository,
  location: URL,
  desc: Descriptor,
  content: BlobContent | undefined,
): Promise<void> {
  const size = content?.size ?? 0;
  const res = await repo.client.request({
    method: 'PUT', url: withDigest(location, desc.digest).toString(), scopes: repo.pushScopes,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: content === undefined ? undefined : () => content.open(0, content.size), ok: [201],
  });
  await discard(res.body);
}
