/**
 * Compares a Nydus image, read back through erofs-utils and the project's readers,
 * with the reference tree that umoci unpacked from the source image.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { openBlobFile, type BlobFile } from '../../src/blob/reader.js';
import { walkTree } from '../../src/tree/walk.js';
import type { TreeNode } from '../../src/tree/types.js';
import type { LoadedImage } from './nydus-image.js';
import type { RefEntry } from './reference-tree.js';

const EROFS_TYPE: Record<RefEntry['type'], number> = { file: 1, dir: 2, char: 3, block: 4, fifo: 5, socket: 6, symlink: 7 };

/** Lists `path type` lines of a reference tree, in bytewise path order, root left out. */
export function referenceListing(ref: Map<string, RefEntry>): string[] {
  return [...ref.values()]
    .filter((e) => e.path !== '/')
    .map((e) => `${e.path} ${EROFS_TYPE[e.type]}`)
    .sort(bytewise);
}

/** Lists the metadata of every path the way RefEntry holds it, for a bootstrap tree. */
export function treeMetadata(root: TreeNode): Map<string, Omit<RefEntry, 'path'>> {
  const out = new Map<string, Omit<RefEntry, 'path'>>();
  for (const { path, node } of walkTree(root)) {
    const i = node.inode;
    out.set(path, {
      type: i.type,
      perm: i.perm,
      uid: i.uid,
      gid: i.gid,
      size: i.type === 'file' ? i.size : 0,
      linkTarget: i.linkTarget,
      rdevMajor: i.devMajor,
      rdevMinor: i.devMinor,
    });
  }
  return out;
}

/**
 * Reads every regular file of the image chunk by chunk (each chunk's digest is
 * verified by the blob reader) and returns the paths whose sha256 differs from the
 * file umoci unpacked under `rootfs`.
 */
export async function contentDifferences(image: LoadedImage, rootfs: string): Promise<string[]> {
  const blobs: BlobFile[] = await Promise.all(image.blobPaths.map((p) => openBlobFile(p)));
  const differ: string[] = [];
  try {
    for (const { path, node } of walkTree(image.bootstrap.root)) {
      if (node.inode.type !== 'file') continue;
      const hash = createHash('sha256');
      for (const ref of node.inode.chunks) {
        const info = image.bootstrap.blobs[ref.blobIndex];
        const blob = blobs[ref.blobIndex];
        if (!info || !blob) throw new Error(`${path}: chunk names blob ${ref.blobIndex}`);
        hash.update(await blob.readChunk(ref, info.digester, info.compressor));
      }
      const want = createHash('sha256').update(await readFile(Buffer.concat([Buffer.from(rootfs), Buffer.from(path, 'latin1')]))).digest('hex');
      if (hash.digest('hex') !== want) differ.push(path);
    }
  } finally {
    await Promise.all(blobs.map((b) => b.close()));
  }
  return differ;
}

function bytewise(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
