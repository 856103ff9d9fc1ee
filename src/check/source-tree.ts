/**
 * The source image's merged file tree, read the way the converter reads it
 * (decompress, tar, one LayerTree per layer, the OCI overlay merge), except that
 * each regular file's data is hashed while it streams past instead of chunked.
 * Nothing holds file contents: only the sha256 of each file is kept.
 */
import { createHash } from 'node:crypto';
import { withContext } from '../errors.js';
import { openLayer } from '../layer/decompress.js';
import { readTar } from '../layer/tar.js';
import { LayerTree } from '../tree/layer-tree.js';
import { emptyRoot, mergeLayer } from '../tree/overlay.js';
import type { Inode, TreeNode } from '../tree/types.js';
import type { ImageSource, SourceImage } from '../transport/types.js';

/** SourceTree is a merged tree plus the content digest of each regular file's inode. */
export interface SourceTree {
  root: TreeNode;
  /** `sha256:<hex>` of the data of each regular-file inode (hardlinks share one). */
  digests: WeakMap<Inode, string>;
  /** Regular-file bytes hashed, over all layers (shadowed files included). */
  bytes: number;
}

/** readSourceTree reads every layer of `image` from `source` and merges them. */
export async function readSourceTree(source: ImageSource, image: SourceImage): Promise<SourceTree> {
  const tree: SourceTree = { root: emptyRoot(), digests: new WeakMap(), bytes: 0 };
  const layers = image.manifest.layers;
  for (const [i, desc] of layers.entries()) {
    try {
      const layer = new LayerTree(desc.digest);
      const tar = await openLayer(await source.openBlob(desc), desc.digest);
      for await (const entry of readTar(tar, desc.digest)) {
        const digest = entry.type === 'file' ? await hashBody(entry.body, tree) : undefined;
        layer.add(entry);
        const inode = digest === undefined ? undefined : layer.lookup(entry.path)?.inode;
        if (inode !== undefined && digest !== undefined) tree.digests.set(inode, digest);
      }
      tree.root = mergeLayer(tree.root, layer.root);
    } catch (err) {
      throw withContext(`reading source layer ${i + 1}/${layers.length} (${desc.digest})`, err);
    }
  }
  return tree;
}

async function hashBody(body: AsyncIterable<Buffer>, tree: SourceTree): Promise<string> {
  const hash = createHash('sha256');
  for await (const part of body) {
    hash.update(part);
    tree.bytes += part.length;
  }
  return `sha256:${hash.digest('hex')}`;
}
