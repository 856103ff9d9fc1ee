/**
 * The conversion pipeline: source image → one Nydus data blob per layer → merged
 * RAFS v6 bootstrap → Nydus image at the target.
 *
 * Steps:
 * 1. resolve the source image (platform chosen from an index);
 * 2. convert each layer into a data blob with its own inlined bootstrap;
 * 3. merge the layer trees with the OCI overlay rules and write the merged bootstrap;
 * 4. store blobs, bootstrap layer and config, then the manifest last, and commit.
 * The target is only committed once everything else succeeded, so a failed run
 * leaves it as it was.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkExecutor, defaultThreads } from '../blob/chunk-pool.js';
import type { BlobInfo, BlobOptions } from '../blob/types.js';
import { ImageError, withContext } from '../errors.js';
import { findBootstrapLayer } from '../nydus/open-image.js';
import { parseConfig } from '../oci/parse.js';
import { formatPlatform, platformMatches } from '../oci/platform.js';
import type { Descriptor, Platform } from '../oci/types.js';
import { writeBootstrap } from '../rafs/writer.js';
import { emptyRoot, mergeLayer } from '../tree/overlay.js';
import { pushStatsOf, type PushStats } from '../transport/registry-target.js';
import type { ImageSource, ImageTarget, SourceImage } from '../transport/types.js';
import { buildBootstrapLayer } from './bootstrap-layer.js';
import type { ConvertWarning, ProgressListener } from './events.js';
import { buildNydusImage } from './image.js';
import { convertLayer, type ConvertedLayer } from './layer.js';

/** ConvertOptions are the choices of one conversion. */
export interface ConvertOptions extends BlobOptions {
  /** Platform to pick from an index; undefined means the host's. */
  platform?: Platform;
  /** Folder for temporary files; a fresh one under the system temp dir by default. */
  workDir?: string;
  /**
   * Worker threads that compress and digest chunks; 0 does it all on the calling
   * thread. One per available core by default. The output is the same either way.
   */
  threads?: number;
  onProgress?: ProgressListener;
  onWarning?: (w: ConvertWarning) => void;
}

/** LayerReport is one layer's figures in a ConvertResult. */
export interface LayerReport {
  sourceDigest: string;
  sourceSize: number;
  tarBytes: number;
  blobDigest: string;
  blobSize: number;
  files: number;
  chunks: number;
  seconds: number;
}

/** ConvertResult describes what was written. */
export interface ConvertResult {
  source: { reference: string; manifestDigest: string };
  target: { reference: string; manifestDigest: string; manifestMediaType: string };
  bootstrap: { size: number; layerDigest: string; layerSize: number };
  layers: LayerReport[];
  timings: { resolveSeconds: number; layersSeconds: number; mergeSeconds: number; writeSeconds: number; totalSeconds: number };
  /** Blobs and bytes uploaded, skipped as present, and mounted; registry targets only. */
  push?: PushStats;
}

/** Converts the image at `source` into a Nydus image at `target`. */
export async function convertImage(
  source: ImageSource,
  target: ImageTarget,
  opts: ConvertOptions,
): Promise<ConvertResult> {
  const clock = stopwatch();
  const workDir = await mkdtemp(join(opts.workDir ?? tmpdir(), 'nydusify-'));
  try {
    opts.onProgress?.({ phase: 'resolve', reference: source.reference });
    const image = await source.resolve({ platform: opts.platform });
    checkConvertible(source.reference, image, opts.platform);
    const resolveSeconds = clock.lap();

    const layers = image.manifest.layers;
    const converted: ConvertedLayer[] = [];
    const executor = chunkExecutor(opts.threads ?? defaultThreads());
    try {
      for (const [index, desc] of layers.entries()) {
        converted.push(
          await convertLayer(
            { index, count: layers.length, digest: desc.digest, size: desc.size, open: () => source.openBlob(desc) },
            { ...opts, workDir, executor },
          ),
        );
      }
    } finally {
      await executor.close();
    }
    const layersSeconds = clock.lap();

    opts.onProgress?.({ phase: 'merge', layers: converted.length });
    const bootstrap = mergeBootstrap(converted, opts);
    const bootLayer = await buildBootstrapLayer(bootstrap);
    const nydus = buildNydusImage({
      source: image,
      blobs: converted,
      bootstrap: { digest: bootLayer.digest, diffId: bootLayer.diffId, size: bootLayer.bytes.length },
    });
    const mergeSeconds = clock.lap();

    opts.onProgress?.({ phase: 'write', reference: target.reference });
    try {
      for (const [i, layer] of converted.entries()) {
        await target.putBlobFile(nydus.manifest.layers[i] as Descriptor, layer.path);
      }
      await target.putBlobBytes(nydus.manifest.layers[converted.length] as Descriptor, bootLayer.bytes);
      await target.putBlobBytes(nydus.configDesc, nydus.configBytes);
      await target.putManifest(nydus.manifestDesc, nydus.manifestBytes);
      await target.commit();
    } catch (err) {
      await target.abort().catch(() => undefined);
      throw withContext(`writing ${target.reference}`, err);
    }
    const writeSeconds = clock.lap();

    return {
      source: { reference: source.reference, manifestDigest: image.manifestDigest },
      target: {
        reference: target.reference,
        manifestDigest: nydus.manifestDesc.digest,
        manifestMediaType: nydus.manifestDesc.mediaType,
      },
      bootstrap: { size: bootstrap.length, layerDigest: bootLayer.digest, layerSize: bootLayer.bytes.length },
      layers: converted.map((l, i) => ({
        sourceDigest: layers[i]?.digest as string,
        sourceSize: l.sourceBytes,
        tarBytes: l.tarBytes,
        blobDigest: l.digest,
        blobSize: l.size,
        files: l.files,
        chunks: l.chunks,
        seconds: round(l.seconds),
      })),
      timings: {
        resolveSeconds,
        layersSeconds,
        mergeSeconds,
        writeSeconds,
        totalSeconds: round(resolveSeconds + layersSeconds + mergeSeconds + writeSeconds),
      },
      push: pushStatsOf(target),
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Refuses a source that is already a Nydus image (its blobs are not tar layers),
 * and one whose config names another platform than the one asked for: a single
 * image has no index to choose from, so `--platform` would otherwise be ignored.
 */
function checkConvertible(reference: string, image: SourceImage, platform: Platform | undefined): void {
  if (findBootstrapLayer(image.manifest.layers)) {
    throw new ImageError('source', `${reference} is already a Nydus image`, {
      hint: 'convert the original OCI or Docker image instead',
    });
  }
  if (platform === undefined) return;
  const config = parseConfig(image.configBytes, 'source', 'image config');
  const have = { os: config.os, architecture: config.architecture, variant: config.variant };
  if (!platformMatches(have, platform)) {
    throw new ImageError('source', `${reference} is ${formatPlatform(have)}, not ${formatPlatform(platform)}`, {
      hint: 'leave out --platform, or name the image built for that platform',
    });
  }
}

/** Merges the layer trees bottom-up and writes the image's bootstrap. */
function mergeBootstrap(layers: ConvertedLayer[], opts: BlobOptions): Buffer {
  let root = emptyRoot();
  for (const layer of layers) root = mergeLayer(root, layer.tree);
  const blobs: BlobInfo[] = layers.map((l) => l.info);
  try {
    return writeBootstrap(root, blobs, opts);
  } catch (err) {
    throw withContext('writing the merged bootstrap', err);
  }
}

function stopwatch(): { lap(): number } {
  let last = performance.now();
  return {
    lap() {
      const now = performance.now();
      const seconds = round((now - last) / 1000);
      last = now;
      return seconds;
    },
  };
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
