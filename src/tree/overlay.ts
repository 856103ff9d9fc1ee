/**
 * The OCI overlay rules: merging a layer's tree onto the trees below it.
 *
 * From the OCI image spec (image-layout "layer" changesets, whiteouts), in short:
 * - a file named `.wh.NAME` removes NAME, file or whole directory, from the lower
 *   layers; it never removes anything of its own layer;
 * - a file named `.wh..wh..opq` in a directory hides every lower entry of that
 *   directory, while the same layer's entries in it stay, whatever the tar order;
 * - markers themselves never appear in the merged tree;
 * - an entry replaces a lower one of the same name; only a directory over a
 *   directory merges, any other pair drops what was below (so a type change leaves
 *   no stale children).
 * https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts
 *
 * Metadata of a directory comes from the top layer whose tar described it; a layer
 * that only passes through a directory (an implicit one) keeps the lower metadata.
 */
import { newDir } from './types.js';
import type { TreeNode } from './types.js';

/** Prefix that marks a whiteout file. */
export const WHITEOUT_PREFIX = '.wh.';
/** Name of the opaque-directory marker. */
export const OPAQUE_MARKER = '.wh..wh..opq';
/**
 * Prefix of AUFS metadata names (`.wh..wh.plnk`, `.wh..wh.aufs`): never content,
 * never applied as whiteouts, dropped like the markers.
 */
export const AUFS_META_PREFIX = '.wh..wh.';

/** Returns a new, empty, implicit root to merge layers onto. */
export function emptyRoot(): TreeNode {
  return newDir({}, true);
}

/**
 * Merges `upper` (one layer's tree) onto `lower` (the layers below, merged) in
 * place and returns `lower`. Nodes of `upper` are moved into `lower`, so `upper`
 * must not be used afterwards.
 */
export function mergeLayer(lower: TreeNode, upper: TreeNode): TreeNode {
  mergeDir(lower, upper);
  return lower;
}

/** Whether `name` is a whiteout or opaque marker (or AUFS metadata). */
export function isMarker(name: string): boolean {
  return name.startsWith(WHITEOUT_PREFIX);
}

function mergeDir(lower: TreeNode, upper: TreeNode): void {
  if (!upper.implicit) {
    lower.inode = upper.inode;
    lower.implicit = false;
  }
  const below = lower.children as Map<string, TreeNode>;
  const above = upper.children as Map<string, TreeNode>;
  // Step 1: this layer's markers act on the lower layers only, so they run before
  // any of this layer's own entries are added.
  for (const name of above.keys()) {
    if (name === OPAQUE_MARKER) {
      below.clear();
    } else if (name.startsWith(WHITEOUT_PREFIX) && !name.startsWith(AUFS_META_PREFIX)) {
      below.delete(name.slice(WHITEOUT_PREFIX.length));
    }
  }
  // Step 2: the layer's entries replace or merge with what is below.
  for (const [name, node] of above) {
    if (isMarker(name)) continue;
    const old = below.get(name);
    if (old?.children && node.children) {
      mergeDir(old, node);
    } else if (node.implicit && !hasContent(node)) {
      // A directory this layer only passed through to reach markers: it neither
      // replaces a lower non-directory of that name nor appears where none was.
      continue;
    } else {
      below.set(name, stripMarkers(node));
    }
  }
}

/** Removes markers from a subtree that lands where nothing lies below it. */
function stripMarkers(node: TreeNode): TreeNode {
  if (node.children) {
    for (const [name, child] of node.children) {
      if (isMarker(name)) node.children.delete(name);
      else stripMarkers(child);
    }
  }
  return node;
}

function hasContent(node: TreeNode): boolean {
  if (!node.children) return true;
  for (const [name, child] of node.children) {
    if (!isMarker(name) && (!child.implicit || hasContent(child))) return true;
  }
  return false;
}
