/**
 * The inspect report: what `nydusify inspect --json` prints, and what the text
 * output is rendered from. Field names are stable; a change that renames or drops
 * one bumps INSPECT_SCHEMA_VERSION.
 *
 * Paths, names and link targets are JSON strings holding the decoded UTF-8 when the
 * bytes are valid UTF-8; otherwise they hold the `\xNN`-escaped form of
 * `displayBytes`, and a sibling `…Hex` field carries the raw bytes.
 */
import { BLOB_FEATURES } from '../rafs/blob-entry.js';
import { RAFS_FLAGS, compressorOfFlags, digesterOfFlags } from '../rafs/flags.js';
import type { Bootstrap } from '../rafs/reader.js';
import { walkTree } from '../tree/walk.js';
import type { FileType, Inode, TreeNode } from '../tree/types.js';
import { bitNames, displayBytes, modeString } from './display.js';
import type { InputKind } from './open-input.js';

/** INSPECT_SCHEMA_VERSION is the `schemaVersion` of the JSON report. */
export const INSPECT_SCHEMA_VERSION = 1;

/** SuperblockSummary describes the EROFS superblock and the RAFS extended superblock. */
export interface SuperblockSummary {
  version: 'rafs-v6';
  /** s_inos: the number of tree entries the builder counted. */
  inodes: number;
  /** Distinct on-disk inodes the reader reached from the root. */
  distinctInodes: number;
  rootNid: number;
  metaBlkaddr: number;
  /** s_blocks: the blocks of every blob device together. */
  blocks: number;
  chunkSize: number;
  /** RafsSuperFlags word and the names of its set bits. */
  flags: number;
  flagNames: string[];
  compressor: string;
  digester: string;
  blobCount: number;
  chunkTableEntries: number;
  /** Prefetch table nids, in table order. */
  prefetch: number[];
}

/** BlobSummary describes one blob-table entry. */
export interface BlobSummary {
  /** Position in the blob table; chunk indexes name the blob as EROFS device index + 1. */
  index: number;
  /** Device file `export` writes for this blob: `blob-<index + 1>`. */
  device: string;
  blobId: string;
  compressedSize: number;
  uncompressedSize: number;
  chunkCount: number;
  chunkSize: number;
  compressor: string;
  digester: string;
  features: number;
  featureNames: string[];
}

/** EntrySummary is one path of the tree, as one line of the listing shows it. */
export interface EntrySummary {
  path: string;
  /** Raw path bytes in hex, only when the path is not valid UTF-8. */
  pathHex?: string;
  type: FileType;
  /** `ls -l` mode string, e.g. `-rwsr-xr-x`. */
  mode: string;
  /** Permission bits including setuid, setgid and sticky (st_mode & 0o7777). */
  perm: number;
  /** Links: names sharing the inode (files), or 2 plus subdirectories (directories). */
  nlink: number;
  uid: number;
  gid: number;
  /** Size in bytes for regular files; 0 for every other type. */
  size: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
  /** Symlink target (symlinks only). */
  linkTarget?: string;
  linkTargetHex?: string;
  /** Device numbers (character and block devices only). */
  rdev?: { major: number; minor: number };
}

/** InspectReport is the whole `inspect` answer for an image or bootstrap. */
export interface InspectReport {
  schemaVersion: typeof INSPECT_SCHEMA_VERSION;
  input: { name: string; kind: InputKind; bootstrapSize: number };
  superblock: SuperblockSummary;
  blobs: BlobSummary[];
  /** Every path, root first, then depth first with names in bytewise order. */
  entries: EntrySummary[];
}

/** describeBootstrap builds the report of a decoded bootstrap. */
export function describeBootstrap(
  input: { name: string; kind: InputKind; bootstrapBytes: Buffer },
  bootstrap: Bootstrap,
): InspectReport {
  const links = linkCounts(bootstrap.root);
  const entries = [...walkTree(bootstrap.root)].map(({ path, node }) =>
    entrySummary(path, node, links),
  );
  return {
    schemaVersion: INSPECT_SCHEMA_VERSION,
    input: { name: input.name, kind: input.kind, bootstrapSize: input.bootstrapBytes.length },
    superblock: superblockSummary(bootstrap),
    blobs: blobSummaries(bootstrap),
    entries,
  };
}

/** superblockSummary describes the superblocks of a decoded bootstrap. */
export function superblockSummary(b: Bootstrap): SuperblockSummary {
  return {
    version: 'rafs-v6',
    inodes: b.superblock.inos,
    distinctInodes: b.inodeCount,
    rootNid: b.superblock.rootNid,
    metaBlkaddr: b.superblock.metaBlkaddr,
    blocks: b.superblock.blocks,
    chunkSize: b.ext.chunkSize,
    flags: b.ext.flags,
    flagNames: bitNames(b.ext.flags, RAFS_FLAGS),
    compressor: compressorOfFlags(b.ext.flags),
    digester: digesterOfFlags(b.ext.flags),
    blobCount: b.blobs.length,
    chunkTableEntries: b.chunkTable.length,
    prefetch: b.prefetch,
  };
}

/** blobSummaries describes every blob-table entry. */
export function blobSummaries(b: Bootstrap): BlobSummary[] {
  return b.blobs.map((info, index) => ({
    index,
    device: deviceName(index),
    blobId: info.blobId,
    compressedSize: info.compressedSize,
    uncompressedSize: info.uncompressedSize,
    chunkCount: info.chunkCount,
    chunkSize: info.chunkSize,
    compressor: info.compressor,
    digester: info.digester,
    features: info.features,
    featureNames: bitNames(info.features, BLOB_FEATURES),
  }));
}

/** deviceName is the file name `export` gives blob-table entry `index`. */
export function deviceName(index: number): string {
  return `blob-${index + 1}`;
}

/** entrySummary describes one tree node; `links` comes from linkCounts. */
export function entrySummary(path: string, node: TreeNode, links: Map<Inode, number>): EntrySummary {
  const i = node.inode;
  const shown = textField(path);
  const entry: EntrySummary = {
    path: shown.text,
    ...(shown.hex === undefined ? {} : { pathHex: shown.hex }),
    type: i.type,
    mode: modeString(i.type, i.perm),
    perm: i.perm,
    nlink: linkCount(node, links),
    uid: i.uid,
    gid: i.gid,
    size: i.type === 'file' ? i.size : 0,
    mtime: i.mtime,
  };
  if (i.type === 'symlink') {
    const target = textField(i.linkTarget);
    entry.linkTarget = target.text;
    if (target.hex !== undefined) entry.linkTargetHex = target.hex;
  }
  if (i.type === 'char' || i.type === 'block') entry.rdev = { major: i.devMajor, minor: i.devMinor };
  return entry;
}

/**
 * textField returns a byte string as JSON text: the decoded UTF-8 when the bytes are
 * valid UTF-8, else the escaped form with the raw bytes in `hex`.
 */
export function textField(byteString: string): { text: string; hex?: string } {
  const bytes = Buffer.from(byteString, 'latin1');
  const text = bytes.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(bytes)) return { text };
  return { text: displayBytes(byteString), hex: bytes.toString('hex') };
}

/**
 * linkCounts counts the names of every non-directory inode: the tree shares one
 * Inode object between hardlinks, so the count is the st_nlink a mount shows.
 */
export function linkCounts(root: TreeNode): Map<Inode, number> {
  const counts = new Map<Inode, number>();
  for (const { node } of walkTree(root)) {
    if (node.children === null) counts.set(node.inode, (counts.get(node.inode) ?? 0) + 1);
  }
  return counts;
}

function linkCount(node: TreeNode, links: Map<Inode, number>): number {
  if (node.children === null) return links.get(node.inode) ?? 1;
  let subdirs = 0;
  for (const child of node.children.values()) if (child.children !== null) subdirs++;
  return 2 + subdirs;
}
