/**
 * Walks the directory tree of a RAFS v6 bootstrap from the root nid and
 * rebuilds TreeNodes (nydus-format.md §1.9, §1.11, §1.12). Hardlinks come back
 * as one shared Inode object, whether the bootstrap stores them as one shared
 * nid (current nydus) or as distinct nids sharing an i_ino (older builds).
 */

import { FormatError } from '../errors.js';
import type { ChunkRef, FileType, Inode, TreeNode } from '../tree/types.js';
import { newInode } from '../tree/types.js';
import { BLOCK_SIZE, alignUp, hex } from './bytes.js';
import { CHUNK_INDEX_SIZE, decodeChunkIndex } from './chunk-index.js';
import type { ChunkInfo } from './chunk-info.js';
import { CHUNK_FLAGS } from './chunk-info.js';
import { decodeDirBlock } from './dir-block.js';
import type { DirEntry } from './dir-block.js';
import { fileTypeOfDirent } from './dirent.js';
import { EROFS_CHUNK_FORMAT_BLKBITS_MASK, EROFS_CHUNK_FORMAT_INDEXES, INODE_LAYOUT, decodeRdev, inodeFileType } from './inode-format.js';
import { inodeData, loadInode } from './reader-inode.js';
import type { LoadedInode } from './reader-inode.js';
import { SYMLINK_MAX } from './writer-layout.js';

/** TreeReaderInput is what the walk needs from the already validated headers. */
export interface TreeReaderInput {
  file: Buffer;
  metaBase: number;
  chunkSize: number;
  blobCount: number;
  /** Chunk table records by `${blobIndex}:${chunkIndex}`. */
  chunks: ReadonlyMap<string, ChunkInfo>;
}

/** Reads the tree under `rootNid`; returns it and the number of distinct inodes met. */
export function readTree(input: TreeReaderInput, rootNid: number): { root: TreeNode; inodeCount: number } {
  const byNid = new Map<number, Inode>();
  const byIno = new Map<number, Inode>();
  const dirsSeen = new Set<number>();

  const readNode = (nid: number, parentNid: number, expected: FileType | undefined): TreeNode => {
    const known = byNid.get(nid);
    if (known !== undefined && known.type !== 'dir') return { inode: known, children: null, implicit: false };
    const loaded = loadInode(input.file, input.metaBase, nid);
    const type = inodeFileType(loaded.disk, loaded.pos + 4);
    if (expected !== undefined && expected !== type) {
      throw new FormatError('dirent', 'e_file_type', `says ${expected} but nid ${nid} is a ${type}`, loaded.pos);
    }
    if (type === 'dir') {
      if (dirsSeen.has(nid)) throw new FormatError('dirent', 'e_nid', `directory nid ${nid} is reached twice`, loaded.pos);
      dirsSeen.add(nid);
      const inode = toInode(input, loaded, type);
      byNid.set(nid, inode);
      const children = new Map<string, TreeNode>();
      for (const entry of readDirEntries(input.file, loaded, parentNid)) {
        children.set(entry.name, readNode(entry.nid, nid, fileTypeOfCode(entry, loaded)));
      }
      return { inode, children, implicit: false };
    }
    // Older builders store hardlinks as distinct nids sharing i_ino; fold them only
    // when the metadata agrees, since i_ino alone is not trustworthy.
    const candidate = loaded.disk.nlink > 1 ? byIno.get(loaded.disk.ino) : undefined;
    const fresh = toInode(input, loaded, type);
    const shared = candidate !== undefined && sameMetadata(candidate, fresh) ? candidate : undefined;
    const inode = shared ?? fresh;
    if (loaded.disk.nlink > 1 && candidate === undefined) byIno.set(loaded.disk.ino, inode);
    byNid.set(nid, inode);
    return { inode, children: null, implicit: false };
  };

  const root = readNode(rootNid, rootNid, 'dir');
  return { root, inodeCount: byNid.size };
}

function sameMetadata(a: Inode, b: Inode): boolean {
  return a.type === b.type && a.perm === b.perm && a.uid === b.uid && a.gid === b.gid && a.mtime === b.mtime && a.size === b.size;
}

function fileTypeOfCode(entry: DirEntry, dir: LoadedInode): FileType | undefined {
  if (entry.fileType === 0) return undefined;
  const type = fileTypeOfDirent(entry.fileType);
  if (type === undefined) throw new FormatError('dirent', 'e_file_type', `invalid ${hex(entry.fileType)}`, dir.pos);
  return type;
}

/** Reads a directory's entries without `.` and `..`, checking both of those. */
function readDirEntries(file: Buffer, dir: LoadedInode, parentNid: number): DirEntry[] {
  const entries = inodeData(file, dir).flatMap((seg) => decodeDirBlock(seg.bytes, seg.bytes.length, seg.base));
  const dot = entries.find((e) => e.name === '.');
  const dotdot = entries.find((e) => e.name === '..');
  if (dot?.nid !== dir.nid) throw new FormatError('dirent', 'e_nid', `"." of nid ${dir.nid} is ${dot?.nid ?? 'missing'}`, dir.pos);
  if (dotdot?.nid !== parentNid) {
    throw new FormatError('dirent', 'e_nid', `".." of nid ${dir.nid} is ${dotdot?.nid ?? 'missing'}, parent is ${parentNid}`, dir.pos);
  }
  return entries.filter((e) => e.name !== '.' && e.name !== '..');
}

function toInode(input: TreeReaderInput, loaded: LoadedInode, type: FileType): Inode {
  const d = loaded.disk;
  const inode = newInode(type, { perm: d.mode & 0o7777, uid: d.uid, gid: d.gid, mtime: d.mtime, xattrs: loaded.xattrs });
  if (type === 'file') {
    inode.size = d.size;
    inode.chunks = readChunks(input, loaded);
  } else if (type === 'symlink') {
    if (d.size === 0 || d.size > SYMLINK_MAX) {
      throw new FormatError('inode', 'i_size', `symlink target of ${hex(d.size)} bytes (nid ${loaded.nid})`, loaded.pos + 8);
    }
    inode.linkTarget = Buffer.concat(inodeData(input.file, loaded).map((s) => s.bytes)).toString('latin1');
  } else if (type !== 'dir') {
    const { major, minor } = decodeRdev(d.u);
    inode.devMajor = type === 'char' || type === 'block' ? major : 0;
    inode.devMinor = type === 'char' || type === 'block' ? minor : 0;
  }
  return inode;
}

/**
 * Checks a chunk-based inode's i_u the way the kernel does: only the 8-byte-index
 * flag and the chunk-bits field may be set, and RAFS always uses 8-byte indexes of
 * chunks no smaller than the superblock's (a continuous file may use larger ones).
 */
function checkChunkFormat(input: TreeReaderInput, loaded: LoadedInode): void {
  const u = loaded.disk.u;
  const known = EROFS_CHUNK_FORMAT_INDEXES | EROFS_CHUNK_FORMAT_BLKBITS_MASK;
  const chunkBits = Math.log2(BLOCK_SIZE) + (u & EROFS_CHUNK_FORMAT_BLKBITS_MASK);
  if ((u & ~known) !== 0 || (u & EROFS_CHUNK_FORMAT_INDEXES) === 0 || 2 ** chunkBits < input.chunkSize) {
    throw new FormatError('inode', 'i_u', `chunk format ${hex(u)} of nid ${loaded.nid} is not 8-byte indexes of chunks of at least ${hex(input.chunkSize)} bytes`, loaded.pos + 16);
  }
}

/** Resolves a file's chunk index entries through the chunk table. */
function readChunks(input: TreeReaderInput, loaded: LoadedInode): ChunkRef[] {
  const { disk } = loaded;
  if (disk.layout === INODE_LAYOUT.CHUNK_BASED) checkChunkFormat(input, loaded);
  if (disk.size === 0) return [];
  if (disk.layout !== INODE_LAYOUT.CHUNK_BASED) {
    throw new FormatError('inode', 'i_format', `regular file nid ${loaded.nid} is not chunk-based`, loaded.pos);
  }
  const count = Math.ceil(disk.size / input.chunkSize);
  const start = alignUp(loaded.bodyEnd, 8);
  return Array.from({ length: count }, (_, i) => {
    const at = start + i * CHUNK_INDEX_SIZE;
    const index = decodeChunkIndex(input.file, at);
    if (index.blobIndex >= input.blobCount) {
      throw new FormatError('chunk_index', 'c_blob_addr_hi', `blob ${index.blobIndex} but ${input.blobCount} blobs`, at + 2);
    }
    const info = input.chunks.get(`${index.blobIndex}:${index.chunkIndex}`);
    if (info === undefined) {
      throw new FormatError('chunk_index', 'c_blob_addr_lo', `chunk ${hex(index.chunkIndex)} of blob ${index.blobIndex} is not in the chunk table`, at);
    }
    if (info.uncompressedOffset !== index.blkAddr * BLOCK_SIZE) {
      throw new FormatError('chunk_index', 'c_blk_addr', `${hex(index.blkAddr)} but the chunk is at ${hex(info.uncompressedOffset)}`, at + 4);
    }
    return {
      blobIndex: index.blobIndex,
      chunkIndex: index.chunkIndex,
      digest: info.digest,
      compressedOffset: info.compressedOffset,
      compressedSize: info.compressedSize,
      uncompressedOffset: info.uncompressedOffset,
      uncompressedSize: info.uncompressedSize,
      compressed: (info.flags & CHUNK_FLAGS.COMPRESSED) !== 0,
      crc32: (info.flags & CHUNK_FLAGS.HAS_CRC32) !== 0 ? info.crc32 : undefined,
    };
  });
}
