/**
 * The acceptance check of one converted image: manifest and config rules, the
 * bootstrap accepted by fsck.erofs, dump.erofs listing exactly what umoci unpacked
 * from the source, and every path's metadata and contents equal to umoci's.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Compressor } from '../../src/blob/types.js';
import { MEDIA_TYPE, NYDUS_ANNOTATION } from '../../src/oci/types.js';
import { contentDifferences, referenceListing, treeMetadata } from './compare.js';
import { dumpErofsTree, fsckErofs, placeholderDevices } from './erofs.js';
import { loadNydusLayout } from './nydus-image.js';
import type { RefEntry } from './reference-tree.js';
import { openBlobFile } from '../../src/blob/reader.js';

/** What the converted image is checked against. */
export interface Expected {
  compressor: Compressor;
  sourceConfig: Record<string, any>;
  sourceLayers: number;
  reference: { entries: Map<string, RefEntry>; rootfs: string };
}

/** Checks the Nydus image at `oci:DIR:TAG`; fails the running test on any difference. */
export async function verifyNydusLayout(out: string, tag: string, want: Expected): Promise<void> {
  const { compressor, sourceConfig, sourceLayers, reference } = want;
  const image = await loadNydusLayout(out, tag);
  // Manifest rules: a Nydus blob per source layer, the bootstrap layer last.
  expect(image.manifest.layers).toHaveLength(sourceLayers + 1);
  for (const layer of image.manifest.layers.slice(0, -1)) {
    expect(layer.mediaType).toBe(MEDIA_TYPE.nydusBlob);
    expect(layer.annotations?.[NYDUS_ANNOTATION.blob]).toBe('true');
  }
  const boot = image.manifest.layers.at(-1);
  expect(boot?.annotations?.[NYDUS_ANNOTATION.bootstrap]).toBe('true');
  expect(boot?.annotations?.[NYDUS_ANNOTATION.fsVersion]).toBe('6');
  const diffIds: string[] = image.config.rootfs.diff_ids;
  expect(diffIds.slice(0, -1)).toEqual(image.manifest.layers.slice(0, -1).map((l) => l.digest));
  expect(image.config.config).toEqual(sourceConfig.config);
  expect(image.config.architecture).toBe(sourceConfig.architecture);
  // Every blob of the bootstrap is a layer, with the layer's digest as its id.
  const layerDigests = new Set(image.manifest.layers.map((l) => l.digest));
  for (const blob of image.bootstrap.blobs) {
    expect(layerDigests).toContain(`sha256:${blob.blobId}`);
    expect(blob.compressor).toBe(compressor);
  }

  // The bootstrap layer carries each blob's chunk-info cache, as the blob holds it
  // (also for a layer whose files were all hidden above, as nydusify does).
  for (const name of image.layerFiles.keys()) {
    expect(layerDigests).toContain(`sha256:${/^image\/([0-9a-f]{64})\.blob\.meta$/.exec(name)?.[1]}`);
  }
  for (const [i, path] of image.blobPaths.entries()) {
    const blob = await openBlobFile(path);
    const cache = image.layerFiles.get(`image/${image.bootstrap.blobs[i]?.blobId}.blob.meta`) as Buffer;
    expect(cache.subarray(-4096).readUInt32LE(0)).toBe(0xb10bb10b);
    expect(cache.subarray(-4096).readUInt32LE(12)).toBe(blob.ciEntries?.length);
    await blob.close();
  }

  // erofs-utils accepts the bootstrap and lists what umoci unpacked.
  const bootPath = join(out, 'image.boot');
  await writeFile(bootPath, image.bootstrapBytes);
  const devices = await placeholderDevices(out, image.bootstrap.blobs.length);
  await fsckErofs(bootPath, devices);
  const listed = (await dumpErofsTree(bootPath, devices)).map((e) => `${e.path} ${e.type}`);
  expect(listed).toEqual(referenceListing(reference.entries));

  // Metadata and contents through the project's readers.
  const meta = treeMetadata(image.bootstrap.root);
  for (const [path, want] of reference.entries) {
    const { path: _p, ...fields } = want;
    expect({ path, ...meta.get(path) }).toEqual({ path, ...fields });
  }
  expect(await contentDifferences(image, reference.rootfs)).toEqual([]);
}
