/**
 * The conversion pipeline: source image → one Nydus data blob per layer → merged
 * RAFS v6 bootstrap → Nydus image at the target.
 *
 * Steps:
 * 1. resolve the source image (platform chosen from an index), or every image of
 *    the index with `--all-platforms`; then for each image:
 * 2. convert each layer into a data blob with its own inlined bootstrap;
 * 3. merge the layer trees with the OCI overlay rules and write the merged bootstrap;
 * 4. store blobs, bootstrap layer and config, then the manifest;
 * 5. with several images or `--merge-platform`, store the index last; commit;
 * 6. with `--with-referrer`, update the registry's referrers fallback tags.
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
import { asImageSet } from '../transport/image-set.js';
import type { ImageSource, ImageTarget, SourceImage } from '../transport/types.js';
import { buildBootstrapLayer } from './bootstrap-layer.js';
import type { ConvertWarning, ProgressListener } from './events.js';
import { buildNydusImage } from './image.js';
import { convertLayer, type ConvertedLayer } from './layer.js';
import { buildMergedIndex, copyOriginal } from './merge-platform.js';
import { encodeIndex, indexEntry, selectImages } from './platforms.js';
import { publishReferrals, referrerDescriptor, type Referral } from './referrer.js';

/** ConvertOptions are the choices of one conversion. */
export interface ConvertOptions extends BlobOptions {
  /** Platform to pick from an index; undefined means the host's. */
  platform?: Platform;
  /** Convert every platform of the source's index; the target gets an index when more than one. */
  allPlatforms?: boolean;
  /** Point each Nydus manifest at its source manifest (`subject`), see referrer.ts. */
  withReferrer?: boolean;
  /** Push one index holding the original and the Nydus manifests, see merge-platform.ts. */
  mergePlatform?: boolean;
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

/** ImageReport is one converted image (one platform) in a ConvertResult. */
export interface ImageReport {
  /** `os/arch[/variant]`, when the image came from an index or is part of one. */
  platform?: string;
  sourceManifestDigest: string;
  manifestDigest: string;
  bootstrap: { size: number; layerDigest: string; layerSize: number };
  layers: LayerReport[];
}

/** ConvertResult describes what was written. */
export interface ConvertResult {
  /** The source reference, and the first (with one platform, the only) source manifest converted. */
  source: { reference: string; manifestDigest: string };
  /** What the target's tag names: the Nydus manifest, or an index when several were made. */
  target: { reference: string; manifestDigest: string; manifestMediaType: string };
  /** The first (with one platform, the only) image's bootstrap; see `images` for all. */
  bootstrap: { size: number; layerDigest: string; layerSize: number };
  /** The first (with one platform, the only) image's layers; see `images` for all. */
  layers: LayerReport[];
  /** Every converted image, in index order. */
  images: ImageReport[];
  /** With `--with-referrer`: how the source finds the Nydus image (see referrer.ts). */
  referrer?: 'api' | 'tag' | 'subject';
  timings: { resolveSeconds: number; layersSeconds: number; mergeSeconds: number; writeSeconds: number; totalSeconds: number };
  /** Blobs and bytes uploaded, skipped as present, and mounted; registry targets only. */
  push?: PushStats;
}

/** Timings of the steps, summed over the images. */
type Timings = Omit<ConvertResult['timings'], 'totalSeconds'>;

/** Converts the image (or images) at `source` into a Nydus image at `target`. */
export async function convertImage(
  source: ImageSource,
  target: ImageTarget,
  opts: ConvertOptions,
): Promise<ConvertResult> {
  const clock = stopwatch();
  const workDir = await mkdtemp(join(opts.workDir ?? tmpdir(), 'nydusify-'));
  try {
    // A target that cannot be reached or written fails now, not after the work.
    await target.probe?.();
    opts.onProgress?.({ phase: 'resolve', reference: source.reference });
    const images = await selectImages(asImageSet(source), opts);
    const wanted = opts.allPlatforms === true ? undefined : opts.platform;
    for (const image of images) checkConvertible(source.reference, image, wanted);
    const timings: Timings = { resolveSeconds: clock.lap(), layersSeconds: 0, mergeSeconds: 0, writeSeconds: 0 };

    const done: ConvertedImage[] = [];
    let top: Descriptor;
    try {
      for (const image of images) done.push(await convertOne(source, image, target, { ...opts, workDir }, timings));
      clock.lap(); // convertOne timed its own steps
      opts.onProgress?.({ phase: 'write', reference: target.reference });
      top = await writing(target, async () => {
        const desc = await writeTop(source, images, done, target, { ...opts, workDir });
        await target.commit();
        return desc;
      });
    } catch (err) {
      // Nothing is named at the target before commit: aborting leaves it as it was.
      await target.abort().catch(() => undefined);
      throw err;
    }
    const referrer = opts.withReferrer === true
      ? await publishReferrals(target, done.map((d) => d.referral)).catch((err: unknown) => {
        throw withContext(`the image was written, but its referrers tag was not`, err);
      })
      : undefined;
    timings.writeSeconds = round(timings.writeSeconds + clock.lap());
    const first = done[0] as ConvertedImage;
    const result: ConvertResult = {
      source: { reference: source.reference, manifestDigest: first.report.sourceManifestDigest },
      target: { reference: target.reference, manifestDigest: top.digest, manifestMediaType: top.mediaType },
      bootstrap: first.report.bootstrap,
      layers: first.report.layers,
      images: done.map((d) => d.report),
      timings: { ...timings, totalSeconds: round(Object.values(timings).reduce((a, b) => a + b, 0)) },
      push: pushStatsOf(target),
    };
    if (referrer !== undefined) result.referrer = referrer;
    return result;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** ConvertedImage is one image converted and stored at the target (its manifest not yet named). */
interface ConvertedImage {
  desc: Descriptor;
  referral: Referral;
  report: ImageReport;
}

/**
 * Converts one source image: its layers into blobs, the merged bootstrap, the
 * manifest and config; stores them all at the target and hands it the manifest
 * (which the target names only on commit, or pushes by digest when more follow).
 */
async function convertOne(
  source: ImageSource,
  image: SourceImage,
  target: ImageTarget,
  opts: ConvertOptions & { workDir: string },
  timings: Timings,
): Promise<ConvertedImage> {
  const clock = stopwatch();
  const layers = image.manifest.layers;
  const converted: ConvertedLayer[] = [];
  // Known shortcoming: a layer shared by several platforms is converted once per
  // platform (the pushes of the second copy are skipped as present). Reusing the
  // first conversion needs a copy of its file tree, which the overlay merge changes.
  const executor = chunkExecutor(opts.threads ?? defaultThreads());
  try {
    for (const [index, desc] of layers.entries()) {
      converted.push(
        await convertLayer(
          { index, count: layers.length, digest: desc.digest, size: desc.size, open: () => source.openBlob(desc) },
          { ...opts, executor },
        ),
      );
    }
  } finally {
    await executor.close();
  }
  timings.layersSeconds = round(timings.layersSeconds + clock.lap());

  opts.onProgress?.({ phase: 'merge', layers: converted.length });
  const bootstrap = mergeBootstrap(converted, opts);
  const bootLayer = await buildBootstrapLayer(bootstrap, blobMetas(converted));
  const nydus = buildNydusImage({
    source: image,
    blobs: converted,
    bootstrap: { digest: bootLayer.digest, diffId: bootLayer.diffId, size: bootLayer.bytes.length },
    referrer: opts.withReferrer,
    merged: opts.mergePlatform,
  });
  timings.mergeSeconds = round(timings.mergeSeconds + clock.lap());

  opts.onProgress?.({ phase: 'write', reference: target.reference });
  await writing(target, async () => {
    for (const [i, layer] of converted.entries()) {
      const desc = nydus.manifest.layers[i] as Descriptor;
      const blob = { phase: 'blob', index: i, count: converted.length, digest: desc.digest, size: desc.size, reference: target.reference } as const;
      opts.onProgress?.({ ...blob, state: 'start' });
      await target.putBlobFile(desc, layer.path);
      opts.onProgress?.({ ...blob, state: 'done' });
      await rm(layer.path, { force: true });
    }
    await target.putBlobBytes(nydus.manifest.layers[converted.length] as Descriptor, bootLayer.bytes);
    await target.putBlobBytes(nydus.configDesc, nydus.configBytes);
    await target.putManifest(nydus.manifestDesc, nydus.manifestBytes);
  });
  timings.writeSeconds = round(timings.writeSeconds + clock.lap());
  const report: ImageReport = {
    sourceManifestDigest: image.manifestDigest,
    manifestDigest: nydus.manifestDesc.digest,
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
  };
  if (nydus.manifestDesc.platform !== undefined) report.platform = formatPlatform(nydus.manifestDesc.platform);
  const referrer = referrerDescriptor(nydus.manifestDesc, nydus.manifest.annotations);
  const referral = { subject: image.manifestDigest, referrer };
  return { desc: nydus.manifestDesc, referral, report };
}

/** Runs a step that stores at the target, naming the target in its errors. */
async function writing<T>(target: ImageTarget, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw withContext(`writing ${target.reference}`, err);
  }
}

/**
 * Hands the target what its tag will name, last: the only Nydus manifest (already
 * given), an index of the Nydus manifests, or with `--merge-platform` the
 * originals (copied over) and an index of both.
 */
async function writeTop(
  source: ImageSource,
  images: SourceImage[],
  done: ConvertedImage[],
  target: ImageTarget,
  opts: ConvertOptions & { workDir: string },
): Promise<Descriptor> {
  if (opts.mergePlatform === true) {
    const originals: Descriptor[] = [];
    for (const image of images) originals.push(await copyOriginal(source, image, target, opts.workDir));
    const merged = buildMergedIndex(originals, done.map((d) => d.desc));
    await target.putManifest(merged.desc, merged.bytes);
    return merged.desc;
  }
  if (done.length === 1) return (done[0] as ConvertedImage).desc;
  const index = encodeIndex(done.map((d) => indexEntry(d.desc)));
  await target.putManifest(index.desc, index.bytes);
  return index.desc;
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

/** The `blob.meta` cache file of every layer blob that has chunks. */
function blobMetas(layers: ConvertedLayer[]): Array<{ blobId: string; data: Buffer }> {
  return layers.flatMap((l) => (l.metaCache ? [{ blobId: l.info.blobId, data: l.metaCache }] : []));
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
