/**
 * File-system rules: the source image's merged tree against the Nydus tree, path
 * by path. "Expected" is always the source's value, "found" the Nydus image's.
 *
 * For every path in either tree: it exists in both, with the same type; then
 * permission bits (with setuid, setgid, sticky), uid, gid, every xattr (name and
 * value), and by type: a regular file's size and the sha256 of its contents as
 * read back chunk by chunk (each chunk's digest verified; a chunk that fails is
 * reported as this path's content difference), a device's major:minor, a
 * symlink's target. Modification times are not compared: layers written by
 * different tools round them differently, and nydusd serves what the bootstrap has.
 */
import type { NydusImage } from '../nydus/open-image.js';
import { walkTree } from '../tree/walk.js';
import { displayBytes } from '../text.js';
import type { Inode, TreeNode } from '../tree/types.js';
import { ABSENT, DifferenceLog, isDifferenceError } from './differences.js';
import { nydusFileDigest, type ContentStats } from './nydus-content.js';
import type { SourceTree } from './source-tree.js';

/** PRESENT is shown for a path that exists. */
const PRESENT = 'present';

/** FilesystemResult is the rule log plus what was read back. */
export interface FilesystemResult {
  log: DifferenceLog;
  /** Paths compared (present in both trees). */
  paths: number;
  content: ContentStats;
}

/** checkFilesystem compares `source` with the tree and data of `image`. */
export async function checkFilesystem(source: SourceTree, image: NydusImage): Promise<FilesystemResult> {
  const log = new DifferenceLog('filesystem');
  const content: ContentStats = { files: 0, chunks: 0, bytes: 0 };
  const reader = new ContentReader(image, content);
  const nydus = new Map<string, TreeNode>();
  for (const { path, node } of walkTree(image.bootstrap.root)) nydus.set(path, node);
  let paths = 0;
  for (const { path, node } of walkTree(source.root)) {
    const shown = displayBytes(path);
    const other = nydus.get(path);
    if (!other) {
      log.add('presence', PRESENT, ABSENT, shown);
      continue;
    }
    nydus.delete(path);
    paths += 1;
    await compareInodes(node.inode, other.inode, shown, { log, source, reader });
  }
  for (const path of nydus.keys()) log.add('presence', ABSENT, PRESENT, displayBytes(path));
  return { log, paths, content };
}

interface Context {
  log: DifferenceLog;
  source: SourceTree;
  reader: ContentReader;
}

async function compareInodes(want: Inode, got: Inode, path: string, ctx: Context): Promise<void> {
  const { log } = ctx;
  if (!log.expect('type', want.type, got.type, path)) return;
  log.expect('mode', octal(want.perm), octal(got.perm), path);
  log.expect('uid', String(want.uid), String(got.uid), path);
  log.expect('gid', String(want.gid), String(got.gid), path);
  compareXattrs(want, got, path, log);
  switch (want.type) {
    case 'file':
      log.expect('size', String(want.size), String(got.size), path);
      log.expect('content', ctx.source.digests.get(want) ?? ABSENT, await ctx.reader.digest(got), path);
      break;
    case 'char':
    case 'block':
      log.expect('rdev', `${want.devMajor}:${want.devMinor}`, `${got.devMajor}:${got.devMinor}`, path);
      break;
    case 'symlink':
      log.expect('link target', showBytes(want.linkTarget), showBytes(got.linkTarget), path);
      break;
    default:
      break;
  }
}

function compareXattrs(want: Inode, got: Inode, path: string, log: DifferenceLog): void {
  const names = [...new Set([...want.xattrs.keys(), ...got.xattrs.keys()])].sort();
  for (const name of names) {
    const a = want.xattrs.get(name);
    const b = got.xattrs.get(name);
    log.expect(`xattr ${showBytes(name)}`, a ? showValue(a) : ABSENT, b ? showValue(b) : ABSENT, path);
  }
}

/**
 * ContentReader reads each Nydus inode once (hardlinks share one) and turns read
 * failures that mean "bad image" into a displayed value, so the walk goes on.
 */
class ContentReader {
  private readonly seen = new WeakMap<Inode, Promise<string>>();

  constructor(
    private readonly image: NydusImage,
    private readonly stats: ContentStats,
  ) {}

  digest(inode: Inode): Promise<string> {
    let result = this.seen.get(inode);
    if (!result) {
      result = nydusFileDigest(this.image, inode, this.stats).catch((err: unknown) => {
        if (!isDifferenceError(err)) throw err;
        return `unreadable: ${err.message}`;
      });
      this.seen.set(inode, result);
    }
    return result;
  }
}

function octal(perm: number): string {
  return `0${perm.toString(8).padStart(3, '0')}`;
}

/** Shows a byte string quoted, escaped as inspect shows names. */
function showBytes(bytes: string): string {
  return `"${displayBytes(bytes)}"`;
}

/** Shows an xattr value as quoted text when it is printable ASCII, else as hex. */
function showValue(value: Buffer): string {
  const printable = value.every((b) => b >= 0x20 && b < 0x7f);
  return printable ? JSON.stringify(value.toString('latin1')) : `0x${value.toString('hex')}`;
}
