/**
 * Walking a file tree: the sorted, depth-first listing that tests and `check`
 * compare trees with.
 */
import type { TreeNode } from './types.js';

/** WalkItem is one path of a tree with its node; the root's path is '/'. */
export interface WalkItem {
  path: string;
  node: TreeNode;
}

/** Yields every path of the tree, root first, children in bytewise name order. */
export function* walkTree(root: TreeNode, prefix = ''): Generator<WalkItem> {
  if (prefix === '') yield { path: '/', node: root };
  if (!root.children) return;
  const names = [...root.children.keys()].sort(compareBytes);
  for (const name of names) {
    const node = root.children.get(name) as TreeNode;
    const path = `${prefix}/${name}`;
    yield { path, node };
    if (node.children) yield* walkTree(node, path);
  }
}

/** Compares two byte strings in unsigned bytewise order. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
