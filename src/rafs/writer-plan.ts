/**
 * The first pass of the bootstrap writer: walks the tree in nydus-image's
 * `build_rafs` order, gives every tree entry an inode index, folds hardlinks
 * (nodes sharing one Inode object) into one on-disk inode, and lists the
 * on-disk inodes in the order they are placed (nydus-format.md §1.8).
 */

import { NydusifyError } from '../errors.js';
import type { Inode, TreeNode } from '../tree/types.js';
import { fromByteString } from '../tree/types.js';

/** PlannedInode is one on-disk inode with everything but its position. */
export interface PlannedInode {
  /** Path of the first name that reached it (a byte string), for error messages. */
  path: string;
  inode: Inode;
  /** i_ino: the inode index of its first name. */
  ino: number;
  nlink: number;
  /** For directories: the parent directory (the root is its own parent). */
  parent: PlannedInode | null;
  /** For directories: children by name, sorted bytewise. */
  children: Array<{ name: string; target: PlannedInode }>;
}

/** InodePlan is the result of the walk. */
export interface InodePlan {
  root: PlannedInode;
  /** On-disk inodes in placement order: root first, each one once. */
  order: PlannedInode[];
  /** s_inos: the last index given out (hardlink names consume one each). */
  inodeCount: number;
}

/** Returns the child names of a directory node, sorted in unsigned bytewise order. */
export function sortedNames(node: TreeNode): string[] {
  return [...(node.children ?? new Map<string, TreeNode>()).keys()].sort();
}

/** Checks that a child name is one path component EROFS can store. */
function checkName(parent: string, name: string): void {
  const bad = name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0');
  if (bad) throw new NydusifyError('ERR_TREE', `${fromByteString(parent)}: invalid entry name ${JSON.stringify(name)}`);
  if (name.length > 255) {
    const path = `${parent === '/' ? '' : parent}/${name}`;
    throw new NydusifyError('ERR_TREE', `${fromByteString(path)}: name of ${name.length} bytes is over the 255 that EROFS allows`);
  }
}

/**
 * Walks `root` and plans its inodes: the root gets index 1; each directory's
 * children get the next indexes in name order, then the child directories are
 * recursed into in order. Non-directories are placed as they are met, a
 * directory when it is recursed into.
 */
export function planInodes(root: TreeNode): InodePlan {
  if (root.inode.type !== 'dir' || root.children === null) {
    throw new NydusifyError('ERR_TREE', 'the root of the tree must be a directory');
  }
  const rootPlan: PlannedInode = { path: '/', inode: root.inode, ino: 1, nlink: 2, parent: null, children: [] };
  rootPlan.parent = rootPlan;
  const seen = new Map<Inode, PlannedInode>([[root.inode, rootPlan]]);
  const order: PlannedInode[] = [rootPlan];
  let index = 1;

  const visit = (node: TreeNode, plan: PlannedInode): void => {
    const dirs: Array<[TreeNode, PlannedInode]> = [];
    for (const name of sortedNames(node)) {
      checkName(plan.path, name);
      const child = node.children!.get(name)!;
      const path = plan.path === '/' ? `/${name}` : `${plan.path}/${name}`;
      index++;
      const known = seen.get(child.inode);
      if (known !== undefined) {
        if (child.inode.type === 'dir') {
          throw new NydusifyError('ERR_TREE', `${fromByteString(path)}: a directory cannot be hardlinked`);
        }
        known.nlink++;
        plan.children.push({ name, target: known });
        continue;
      }
      const isDir = child.inode.type === 'dir';
      if (isDir !== (child.children !== null)) {
        throw new NydusifyError('ERR_TREE', `${fromByteString(path)}: children must be set exactly for directories`);
      }
      const target: PlannedInode = { path, inode: child.inode, ino: index, nlink: isDir ? 2 : 1, parent: isDir ? plan : null, children: [] };
      seen.set(child.inode, target);
      plan.children.push({ name, target });
      if (isDir) {
        plan.nlink++;
        dirs.push([child, target]);
      } else {
        order.push(target);
      }
    }
    for (const [child, target] of dirs) {
      order.push(target);
      visit(child, target);
    }
  };
  visit(root, rootPlan);
  return { root: rootPlan, order, inodeCount: index };
}
