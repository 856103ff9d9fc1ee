/**
 * Loads a converted Nydus image back from an OCI layout with the project's own
 * readers: manifest, config, the merged bootstrap (decoded) and the blob files.
 */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { readTar } from '../../src/layer/tar.js';
import type { Manifest } from '../../src/oci/types.js';
import { readBootstrap, type Bootstrap } from '../../src/rafs/reader.js';
import { openSource } from '../../src/transport/open.js';

/** LoadedImage is a Nydus image read back from disk. */
export interface LoadedImage {
  manifest: Manifest;
  manifestDigest: string;
  config: Record<string, any>;
  bootstrapBytes: Buffer;
  bootstrap: Bootstrap;
  /** Every other file of the bootstrap layer (the blob.meta caches), by path. */
  layerFiles: Map<string, Buffer>;
  /** Path of each blob-table entry's file, in blob-table order. */
  blobPaths: string[];
}

/** Reads `oci:DIR:TAG` as written by the converter. */
export async function loadNydusLayout(dir: string, tag: string): Promise<LoadedImage> {
  const source = openSource(`oci:${dir}:${tag}`);
  try {
    const image = await source.resolve();
    const bootLayer = image.manifest.layers.at(-1);
    if (!bootLayer) throw new Error('manifest has no layers');
    const stream = (await source.openBlob(bootLayer)).pipe(createGunzip());
    let bootstrapBytes: Buffer | undefined;
    const layerFiles = new Map<string, Buffer>();
    for await (const entry of readTar(stream, 'bootstrap layer')) {
      if (entry.type !== 'file') continue;
      const parts: Buffer[] = [];
      for await (const part of entry.body) parts.push(Buffer.from(part));
      if (entry.path === 'image/image.boot') bootstrapBytes = Buffer.concat(parts);
      else layerFiles.set(entry.path, Buffer.concat(parts));
    }
    if (!bootstrapBytes) throw new Error('bootstrap layer has no image/image.boot');
    const bootstrap = readBootstrap(bootstrapBytes);
    const blobPaths = bootstrap.blobs.map((b) => join(dir, 'blobs', 'sha256', b.blobId));
    return {
      manifest: image.manifest,
      manifestDigest: image.manifestDigest,
      config: JSON.parse(image.configBytes.toString('utf8')),
      bootstrapBytes,
      bootstrap,
      layerFiles,
      blobPaths,
    };
  } finally {
    await source.close();
  }
}

/** Reads a whole readable into one buffer (small test data only). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}
