/**
 * `check`: proves that a Nydus image is well formed and, given its source, that it
 * holds the same files. Everything runs in-process with no privileges: the
 * bootstrap and blobs are read by the project's own readers, not mounted.
 *
 * Steps:
 * 1. resolve the target (and source) image; a target whose last layer is not a
 *    bootstrap layer is not a Nydus image, which is an error, not a difference;
 * 2. manifest rules (manifest-rules.ts);
 * 3. open the bootstrap: a bootstrap that fails structural validation is a
 *    difference of rule "bootstrap" and ends the check there (there is no tree to
 *    compare); a RAFS v5 bootstrap is refused as unsupported;
 * 4. bootstrap rules against the manifest and every blob (bootstrap-rules.ts);
 * 5. with a source: read the source's merged tree, hashing file data as it
 *    streams, and compare it with the Nydus tree (filesystem-rules.ts).
 * Inputs that cannot be read at all (missing files, a broken source layer,
 * a transport digest mismatch on the bootstrap layer) end the check with an error.
 */
import { createHash } from 'node:crypto';
import { FormatError, ImageError, NydusifyError } from '../errors.js';
import { openLayer } from '../layer/decompress.js';
import { findBootstrapLayer, openNydusImage, type NydusImage } from '../nydus/open-image.js';
import { NYDUS_ANNOTATION, type Descriptor, type Platform } from '../oci/types.js';
import type { ImageSource, SourceImage } from '../transport/types.js';
import { checkBootstrap } from './bootstrap-rules.js';
import { DifferenceLog, type Difference, type RuleSummary } from './differences.js';
import { checkFilesystem } from './filesystem-rules.js';
import { checkManifest } from './manifest-rules.js';
import type { ContentStats } from './nydus-content.js';
import { readSourceTree } from './source-tree.js';

/** CheckOptions are the choices of one check. */
export interface CheckOptions {
  /** The image the target was converted from; without it the file-system rule is skipped. */
  source?: ImageSource;
  /** Platform to pick from an index, for both images; undefined means the host's. */
  platform?: Platform;
  /** Folder for blob copies; the system temp folder by default. */
  workDir?: string;
}

/** CheckResult is everything one check found. */
export interface CheckResult {
  target: { reference: string; manifestDigest: string };
  source?: { reference: string; manifestDigest: string };
  rules: RuleSummary[];
  /** All differences: manifest rules first, then bootstrap, then file system. */
  differences: Difference[];
  /** What the file-system rule compared and read back, when it ran. */
  filesystem?: { paths: number } & ContentStats;
}

/** checkImage runs every rule that applies and returns the differences found. */
export async function checkImage(target: ImageSource, opts: CheckOptions = {}): Promise<CheckResult> {
  const targetImage = await target.resolve({ platform: opts.platform });
  const bootstrapLayer = findBootstrapLayer(targetImage.manifest.layers);
  if (!bootstrapLayer) {
    throw new ImageError('target', `${target.reference} is not a Nydus image: its last layer has no ${NYDUS_ANNOTATION.bootstrap} annotation`, {
      hint: 'check takes the converted image as --target and the original as --source',
    });
  }
  const sourceImage = await opts.source?.resolve({ platform: opts.platform });
  const result: CheckResult = {
    target: { reference: target.reference, manifestDigest: targetImage.manifestDigest },
    rules: [],
    differences: [],
  };
  if (opts.source && sourceImage) {
    result.source = { reference: opts.source.reference, manifestDigest: sourceImage.manifestDigest };
  }
  const bootstrapDiffId = await tarDigest(target, bootstrapLayer);
  record(result, checkManifest(targetImage, { bootstrapDiffId, source: sourceImage }));

  const opened = await openOrReport(target, opts);
  if (opened instanceof DifferenceLog) {
    record(result, opened);
    result.rules.push(new DifferenceLog('filesystem').summary(false));
    return result;
  }
  try {
    record(result, await checkBootstrap(opened));
    await checkTree(result, opened, opts.source, sourceImage);
  } finally {
    await opened.close();
  }
  return result;
}

async function checkTree(
  result: CheckResult,
  image: NydusImage,
  source: ImageSource | undefined,
  sourceImage: SourceImage | undefined,
): Promise<void> {
  if (!source || !sourceImage) {
    result.rules.push(new DifferenceLog('filesystem').summary(false));
    return;
  }
  const tree = await readSourceTree(source, sourceImage);
  const fs = await checkFilesystem(tree, image);
  record(result, fs.log);
  result.filesystem = { paths: fs.paths, ...fs.content };
}

function record(result: CheckResult, log: DifferenceLog): void {
  result.rules.push(log.summary());
  result.differences.push(...log.differences);
}

/**
 * Opens the Nydus image; a bootstrap that fails validation comes back as a
 * bootstrap-rule log holding that one difference.
 */
async function openOrReport(target: ImageSource, opts: CheckOptions): Promise<NydusImage | DifferenceLog> {
  try {
    return await openNydusImage(target, { platform: opts.platform, workDir: opts.workDir });
  } catch (err) {
    const format = formatCause(err);
    // RAFS v5 is a valid image this reader does not support: an error, not a difference.
    if (!format || (format.struct === 'bootstrap' && format.field === 'magic')) throw err;
    const log = new DifferenceLog('bootstrap');
    log.add('bootstrap', 'a valid RAFS v6 bootstrap', (err as Error).message);
    return log;
  }
}

/** Finds the FormatError in an error's cause chain, if it has one. */
function formatCause(err: unknown): FormatError | undefined {
  let e: unknown = err;
  while (e instanceof NydusifyError) {
    if (e instanceof FormatError) return e;
    e = e.cause;
  }
  return undefined;
}

/** Returns `sha256:<hex>` of a layer's uncompressed tar (its diff_id). */
async function tarDigest(source: ImageSource, layer: Descriptor): Promise<string> {
  const hash = createHash('sha256');
  const tar = await openLayer(await source.openBlob(layer), layer.digest);
  for await (const part of tar) hash.update(part as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
