/**
 * Builds the file tree of one layer from its tar entries, in tar order.
 *
 * Whiteout markers are kept here as ordinary empty files: a layer's own bootstrap
 * records them (as nydus does with whiteout spec "none"), and the overlay merge
 * applies them against the layers below. Rules inside one layer:
 * - the same path twice: the last entry wins; a directory entry over a directory
 *   updates its metadata and keeps the children already seen;
 * - a parent that no entry described is created as an implicit directory (0755,
 *   root-owned, mtime 0), and a later entry for it makes it explicit;
 * - a hardlink names a regular file earlier in the same layer and shares its Inode.
 */
import { LayerError } from '../errors.js';
import { isMarker } from './overlay.js';
import { fromByteString, newDir, newInode } from './types.js';
import type { ChunkRef, EntryMeta, FileType, Inode, TreeNode } from './types.js';

export type { EntryMeta };

/** LayerTree accumulates one layer's entries into a tree rooted at an implicit root. */
export class LayerTree {
  /** The layer's root directory. */
  readonly root: TreeNode = newDir({}, true);

  /** @param layer names the layer in error messages. */
  constructor(private readonly layer: string) {}

  /** Adds one entry; `chunks` are the stored chunks of a regular file's data. */
  add(entry: EntryMeta, chunks: ChunkRef[] = []): void {
    if (entry.path === '') {
      this.setRoot(entry);
      return;
    }
    const names = entry.path.split('/');
    const leaf = names.pop() as string;
    if (isMarker(leaf) && this.passesNonDir(names)) {
      // A whiteout below a path this layer made a non-directory (umoci writes these
      // when a file replaces a directory): the file already hides everything below,
      // and extraction has no directory to remove anything from.
      return;
    }
    const parent = this.ensureDir(names);
    const node = entry.type === 'hardlink' ? this.linkNode(entry) : nodeFor(entry, chunks);
    const existing = parent.children?.get(leaf);
    if (existing?.children && node.children) {
      // A directory entry over a directory already seen: new metadata, same children.
      existing.inode = node.inode;
      existing.implicit = false;
      return;
    }
    parent.children?.set(leaf, node);
  }

  /** Looks up a node by normalised path; undefined when absent. */
  lookup(path: string): TreeNode | undefined {
    let node: TreeNode | undefined = this.root;
    if (path === '') return node;
    for (const name of path.split('/')) {
      node = node?.children?.get(name);
      if (!node) return undefined;
    }
    return node;
  }

  private setRoot(entry: EntryMeta): void {
    if (entry.type !== 'dir') {
      throw new LayerError(this.layer, '/', `the root must be a directory, not a ${entry.type}`);
    }
    this.root.inode = nodeFor(entry, []).inode;
    this.root.implicit = false;
  }

  /** Whether the walk down `names` meets a non-directory of this layer. */
  private passesNonDir(names: string[]): boolean {
    let dir: TreeNode | undefined = this.root;
    for (const name of names) {
      dir = dir.children?.get(name);
      if (!dir) return false;
      if (!dir.children) return true;
    }
    return false;
  }

  /** Walks to the directory at `names`, creating implicit directories on the way. */
  private ensureDir(names: string[]): TreeNode {
    let dir = this.root;
    for (const name of names) {
      const children = dir.children as Map<string, TreeNode>;
      let next = children.get(name);
      if (!next?.children) {
        // A missing parent, or a non-directory that a deeper path now passes through:
        // extraction would have needed a directory here, so one is made.
        next = newDir({}, true);
        children.set(name, next);
      }
      dir = next;
    }
    return dir;
  }

  private linkNode(entry: EntryMeta): TreeNode {
    const source = this.lookup(entry.linkTarget);
    if (!source) {
      throw new LayerError(
        this.layer,
        fromByteString(entry.path),
        `hardlink to ${fromByteString(entry.linkTarget)}, which is not earlier in this layer`,
      );
    }
    if (source.children) {
      throw new LayerError(
        this.layer,
        fromByteString(entry.path),
        `hardlink to directory ${fromByteString(entry.linkTarget)}`,
      );
    }
    return { inode: source.inode, children: null, implicit: false };
  }
}

function nodeFor(entry: EntryMeta, chunks: ChunkRef[]): TreeNode {
  const type = entry.type as FileType;
  const inode: Inode = newInode(type, {
    // Linux gives every symlink 0777 whatever the tar header says, so an unpacked
    // image (and nydusify check, which compares against one) always sees 0777.
    perm: type === 'symlink' ? 0o777 : entry.perm & 0o7777,
    uid: entry.uid,
    gid: entry.gid,
    // EROFS stores mtime unsigned; a time before 1970 becomes the epoch rather
    // than failing a whole image over a timestamp nothing reads.
    mtime: Math.max(0, entry.mtime),
    size: type === 'file' ? entry.size : 0,
    devMajor: type === 'char' || type === 'block' ? entry.devMajor : 0,
    devMinor: type === 'char' || type === 'block' ? entry.devMinor : 0,
    linkTarget: type === 'symlink' ? entry.linkTarget : '',
    xattrs: new Map(entry.xattrs),
    chunks: type === 'file' ? chunks : [],
  });
  return { inode, children: type === 'dir' ? new Map() : null, implicit: false };
}
