/**
 * Opening a Nydus image from any transport: find the bootstrap layer, extract and
 * decode the merged bootstrap, and give random access to the data blobs.
 *
 * Blob readers need random access, which a transport's stream does not give, so a
 * blob is copied once into the work folder (its digest verified by the transport
 * on the way) the first time it is asked for.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { openBlobFile, type BlobFile } from '../blob/reader.js';
import { ImageError, withContext } from '../errors.js';
import { readTar } from '../layer/tar.js';
import { NYDUS_ANNOTATION } from '../oci/types.js';
import type { Descriptor, Platform } from '../oci/types.js';
import { readBootstrap, type Bootstrap } from '../rafs/reader.js';
import type { ImageSource, SourceImage } from '../transport/types.js';

/** Path of the merged bootstrap inside the bootstrap layer (and its legacy spelling). */
export const BOOTSTRAP_PATHS = ['image/image.boot', 'image.boot'];

/** Largest bootstrap accepted, so a hostile layer cannot exhaust memory. */
export const MAX_BOOTSTRAP_BYTES = 1 << 30;

/** NydusImage is an opened Nydus image: manifest, bootstrap and lazily copied blobs. */
export interface NydusImage {
  image: SourceImage;
  /** The bootstrap layer's descriptor (the manifest's last layer). */
  bootstrapLayer: Descriptor;
  bootstrapBytes: Buffer;
  bootstrap: Bootstrap;
  /** Opens the data blob of blob-table entry `index` (cached; copied on first use). */
  blob(index: number): Promise<BlobFile>;
  /** Closes blob files and removes copies. */
  close(): Promise<void>;
}

/** Returns the bootstrap layer of a manifest, or undefined when it is not Nydus. */
export function findBootstrapLayer(layers: Descriptor[]): Descriptor | undefined {
  const last = layers.at(-1);
  return last?.annotations?.[NYDUS_ANNOTATION.bootstrap] === 'true' ? last : undefined;
}

/** Opens the Nydus image at `source`. */
export async function openNydusImage(
  source: ImageSource,
  opts: { platform?: Platform; workDir?: string } = {},
): Promise<NydusImage> {
  const image = await source.resolve({ platform: opts.platform });
  const bootstrapLayer = findBootstrapLayer(image.manifest.layers);
  if (!bootstrapLayer) {
    throw new ImageError('target', `${source.reference} is not a Nydus image: its last layer has no ${NYDUS_ANNOTATION.bootstrap} annotation`, {
      hint: 'convert it first with nydusify convert',
    });
  }
  const bootstrapBytes = await extractBootstrap(source, bootstrapLayer);
  let bootstrap: Bootstrap;
  try {
    bootstrap = readBootstrap(bootstrapBytes);
  } catch (err) {
    throw withContext(`reading the bootstrap of ${source.reference}`, err);
  }
  const workDir = await mkdtemp(join(opts.workDir ?? tmpdir(), 'nydusify-blobs-'));
  const open = new Map<number, Promise<BlobFile>>();
  return {
    image,
    bootstrapLayer,
    bootstrapBytes,
    bootstrap,
    blob(index: number): Promise<BlobFile> {
      let file = open.get(index);
      if (!file) {
        file = copyBlob(source, image, bootstrap, index, workDir);
        open.set(index, file);
      }
      return file;
    },
    async close(): Promise<void> {
      const files = await Promise.allSettled(open.values());
      for (const f of files) if (f.status === 'fulfilled') await f.value.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Reads `image/image.boot` out of the gzip tar bootstrap layer. */
async function extractBootstrap(source: ImageSource, layer: Descriptor): Promise<Buffer> {
  const raw = await source.openBlob(layer);
  const stream = createGunzip();
  // pipe() does not pass errors on: a failing or corrupt layer must fail the read.
  raw.on('error', (err) => stream.destroy(err));
  raw.pipe(stream);
  for await (const entry of readTar(stream, layer.digest)) {
    if (entry.type === 'file' && BOOTSTRAP_PATHS.includes(entry.path)) {
      if (entry.size > MAX_BOOTSTRAP_BYTES) {
        throw new ImageError('target', `bootstrap layer ${layer.digest}: image.boot is ${entry.size} bytes, over the ${MAX_BOOTSTRAP_BYTES} limit`);
      }
      const parts: Buffer[] = [];
      for await (const part of entry.body) parts.push(Buffer.from(part));
      stream.destroy();
      return Buffer.concat(parts);
    }
  }
  throw new ImageError('target', `bootstrap layer ${layer.digest} holds no image/image.boot`);
}

async function copyBlob(
  source: ImageSource,
  image: SourceImage,
  bootstrap: Bootstrap,
  index: number,
  workDir: string,
): Promise<BlobFile> {
  const info = bootstrap.blobs[index];
  if (!info) throw new ImageError('target', `the bootstrap has no blob ${index}`);
  const digest = `sha256:${info.blobId}`;
  const desc = image.manifest.layers.find((l) => l.digest === digest);
  if (!desc) {
    throw new ImageError('target', `blob ${index} (${digest}) of the bootstrap is not a layer of the manifest`);
  }
  const path = join(workDir, info.blobId);
  await pipeline(await source.openBlob(desc), createWriteStream(path));
  return openBlobFile(path);
}
