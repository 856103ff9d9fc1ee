/**
 * Reading small blobs (manifests, configs) whole, with their size and digest checked
 * before anyone parses them.
 */
import { DigestMismatchError, ImageError } from '../errors.js';
import { parseDigest, sha256Digest } from '../oci/digest.js';
import type { Descriptor } from '../oci/types.js';
import type { FileTree } from './file-tree.js';

/** blobPath is where an OCI layout keeps a blob: `blobs/<algorithm>/<hex>`. */
export function blobPath(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

/**
 * readVerified reads the file `name` and checks it against `desc`, refusing
 * descriptors that claim more than `limit` bytes before reading anything.
 */
export async function readVerified(
  files: FileTree,
  name: string,
  desc: Descriptor,
  limit: number,
  what: string,
): Promise<Buffer> {
  if (desc.size > limit) {
    throw new ImageError('source', `${what}: ${desc.size} bytes is over the ${limit}-byte limit`);
  }
  const bytes = await files.readAll(name, limit);
  if (bytes.length !== desc.size) {
    throw new DigestMismatchError(what, `${desc.size} bytes`, `${bytes.length} bytes`);
  }
  const actual = sha256Digest(bytes);
  if (actual !== desc.digest) throw new DigestMismatchError(what, desc.digest, actual);
  return bytes;
}
