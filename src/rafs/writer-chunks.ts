/**
 * The blob and chunk side of the bootstrap writer: which blobs enter the blob
 * table and in what order (first use in a breadth-first walk, as nydus-image
 * merge renumbers them, nydus-format.md §5.1), and the chunk info table (§1.13).
 */

import type { BlobInfo } from '../blob/types.js';
import { NydusifyError } from '../errors.js';
import type { ChunkRef, TreeNode } from '../tree/types.js';
import { fromByteString } from '../tree/types.js';
import { BLOCK_SIZE } from './bytes.js';
import type { ChunkInfo } from './chunk-info.js';
import { CHUNK_FLAGS } from './chunk-info.js';
import { sortedNames } from './writer-plan.js';
import type { PlannedInode } from './writer-plan.js';

/** MAX_BLOBS is the most blobs a RAFS v6 bootstrap can reference (device ids 1..254). */
export const MAX_BLOBS = 254;

/** BlobTable is the renumbered blob list and the map from caller index to table position. */
export interface BlobTable {
  blobs: BlobInfo[];
  position: Map<number, number>;
}

/**
 * Orders the referenced blobs by first use in a breadth-first walk (children in
 * bytewise name order). Fails when a referenced entry of `blobs` is undefined.
 */
export function orderBlobs(root: TreeNode, blobs: ReadonlyArray<BlobInfo | undefined>): BlobTable {
  const position = new Map<number, number>();
  const table: BlobInfo[] = [];
  const queue: Array<[TreeNode, string]> = [[root, '']];
  for (let i = 0; i < queue.length; i++) {
    const [node, path] = queue[i]!;
    for (const chunk of node.inode.chunks) {
      if (position.has(chunk.blobIndex)) continue;
      const info = blobs[chunk.blobIndex];
      if (info === undefined) {
        throw new NydusifyError('ERR_TREE', `${fromByteString(path)}: chunk references blob ${chunk.blobIndex}, which is not given`);
      }
      position.set(chunk.blobIndex, table.length);
      table.push(info);
    }
    for (const name of sortedNames(node)) queue.push([node.children!.get(name)!, `${path}/${name}`]);
  }
  if (table.length > MAX_BLOBS) {
    throw new NydusifyError('ERR_TREE', `the tree references ${table.length} blobs; RAFS v6 allows at most ${MAX_BLOBS}`);
  }
  return { blobs: table, position };
}

function chunkKey(position: number, chunk: ChunkRef): string {
  return `${position}:${chunk.chunkIndex}`;
}

/**
 * Builds the chunk table from the files in placement order: one record per
 * distinct chunk, sorted by digest, then blob, then chunk index. The file
 * offset is that of the first file that uses the chunk.
 *
 * A chunk is identified by (blob, chunk index), which is what nydusd looks up.
 * With a deduplicating blob writer that is the same as nydus's (digest, blob)
 * rule; a blob holding one digest at two indexes gets two records instead of a
 * table in which the second index could not be found.
 */
export function buildChunkTable(order: readonly PlannedInode[], table: BlobTable): ChunkInfo[] {
  const records = new Map<string, ChunkInfo>();
  for (const plan of order) {
    let fileOffset = 0;
    for (const chunk of plan.inode.chunks) {
      const blobIndex = table.position.get(chunk.blobIndex)!;
      checkChunk(plan.path, chunk);
      const key = chunkKey(blobIndex, chunk);
      const known = records.get(key);
      if (known === undefined) {
        records.set(key, chunkInfoOf(chunk, blobIndex, fileOffset));
      } else if (!known.digest.equals(chunk.digest)) {
        throw new NydusifyError('ERR_TREE', `${fromByteString(plan.path)}: chunk ${chunk.chunkIndex} of blob ${chunk.blobIndex} has two digests`);
      }
      fileOffset += chunk.uncompressedSize;
    }
  }
  return [...records.values()].sort(
    (a, b) => Buffer.compare(a.digest, b.digest) || a.blobIndex - b.blobIndex || a.index - b.index,
  );
}

function checkChunk(path: string, chunk: ChunkRef): void {
  if (chunk.digest.length !== 32) {
    throw new NydusifyError('ERR_TREE', `${fromByteString(path)}: chunk digest is ${chunk.digest.length} bytes, not 32`);
  }
  if (chunk.uncompressedOffset % BLOCK_SIZE !== 0) {
    throw new NydusifyError('ERR_TREE', `${fromByteString(path)}: chunk uncompressed offset ${chunk.uncompressedOffset} is not 4096-aligned`);
  }
  if (!(chunk.chunkIndex >= 0 && chunk.chunkIndex < 1 << 24)) {
    throw new NydusifyError('ERR_TREE', `${fromByteString(path)}: chunk index ${chunk.chunkIndex} is not below 2^24`);
  }
}

function chunkInfoOf(chunk: ChunkRef, blobIndex: number, fileOffset: number): ChunkInfo {
  return {
    digest: chunk.digest,
    blobIndex,
    flags: (chunk.compressed ? CHUNK_FLAGS.COMPRESSED : 0) | (chunk.crc32 === undefined ? 0 : CHUNK_FLAGS.HAS_CRC32),
    compressedSize: chunk.compressedSize,
    uncompressedSize: chunk.uncompressedSize,
    compressedOffset: chunk.compressedOffset,
    uncompressedOffset: chunk.uncompressedOffset,
    fileOffset,
    index: chunk.chunkIndex,
    crc32: chunk.crc32 ?? 0,
  };
}
