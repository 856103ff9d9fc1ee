/**
 * One entry of the tree in full, for `inspect --path P`: its inode, every xattr, and
 * where each of its chunks lives in which blob.
 */
import { NydusifyError } from '../errors.js';
import type { Bootstrap } from '../rafs/reader.js';
import { compareBytes } from '../tree/walk.js';
import { toByteString, type ChunkRef, type TreeNode } from '../tree/types.js';
import { displayValue, isPrintableUtf8 } from './display.js';
import { entrySummary, linkCounts, textField, type EntrySummary } from './report.js';

/** XattrSummary is one extended attribute: name, a safe rendering, and raw hex. */
export interface XattrSummary {
  name: string;
  nameHex?: string;
  /** Quoted text when the value is printable UTF-8, else `0x` and hex. */
  value: string;
  valueHex: string;
}

/** ChunkSummary locates one chunk of a regular file. */
export interface ChunkSummary {
  /** Position of the chunk in the file (0, 1, …); it covers chunkSize bytes from there. */
  fileIndex: number;
  blobIndex: number;
  blobId: string;
  /** Position in the blob's chunk-info array. */
  chunkIndex: number;
  compressedOffset: number;
  compressedSize: number;
  uncompressedOffset: number;
  uncompressedSize: number;
  compressed: boolean;
  /** Chunk digest (blake3 or sha256, as the blob says) in hex. */
  digest: string;
}

/** EntryDetail is an entry with its xattrs and chunks. */
export interface EntryDetail extends EntrySummary {
  xattrs: XattrSummary[];
  chunks: ChunkSummary[];
}

/** PATH_NOT_FOUND is the error code of a `--path` that is not in the image. */
export const PATH_NOT_FOUND = 'ERR_NOT_FOUND';

/**
 * findNode looks up an absolute or relative path (UTF-8 text as the user typed it)
 * without following symlinks; `.` segments and repeated slashes are ignored.
 */
export function findNode(root: TreeNode, path: string): { path: string; node: TreeNode } | undefined {
  let node = root;
  const parts = toByteString(path).split('/').filter((p) => p !== '' && p !== '.');
  for (const part of parts) {
    const next = node.children?.get(part);
    if (next === undefined) return undefined;
    node = next;
  }
  return { path: parts.length === 0 ? '/' : `/${parts.join('/')}`, node };
}

/** describeEntry describes the entry at `path`; a path not in the tree is an error. */
export function describeEntry(bootstrap: Bootstrap, path: string): EntryDetail {
  const found = findNode(bootstrap.root, path);
  if (found === undefined) {
    throw new NydusifyError(PATH_NOT_FOUND, `path ${JSON.stringify(path)} is not in the image`);
  }
  const inode = found.node.inode;
  const names = [...inode.xattrs.keys()].sort(compareBytes);
  return {
    ...entrySummary(found.path, found.node, linkCounts(bootstrap.root)),
    xattrs: names.map((name) => xattrSummary(name, inode.xattrs.get(name) as Buffer)),
    chunks: inode.chunks.map((ref, i) => chunkSummary(bootstrap, ref, i)),
  };
}

function xattrSummary(name: string, value: Buffer): XattrSummary {
  const shown = textField(name);
  const out: XattrSummary = { name: shown.text, value: displayValue(value), valueHex: value.toString('hex') };
  if (shown.hex !== undefined || !isPrintableUtf8(Buffer.from(name, 'latin1'))) {
    out.nameHex = Buffer.from(name, 'latin1').toString('hex');
  }
  return out;
}

function chunkSummary(bootstrap: Bootstrap, ref: ChunkRef, fileIndex: number): ChunkSummary {
  return {
    fileIndex,
    blobIndex: ref.blobIndex,
    blobId: bootstrap.blobs[ref.blobIndex]?.blobId ?? '',
    chunkIndex: ref.chunkIndex,
    compressedOffset: ref.compressedOffset,
    compressedSize: ref.compressedSize,
    uncompressedOffset: ref.uncompressedOffset,
    uncompressedSize: ref.uncompressedSize,
    compressed: ref.compressed,
    digest: ref.digest.toString('hex'),
  };
}
