/**
 * `nydusify convert`: the flags (as one table), and the action that runs the
 * converter and reports the result.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { MAX_THREADS } from '../blob/chunk-pool.js';
import { convertImage, type ConvertOptions } from '../convert/convert.js';
import { NydusifyError, UsageError } from '../errors.js';
import { parsePlatform } from '../oci/platform.js';
import { mountSources, openSource, openTarget } from '../transport/open.js';
import { overwritesSource, parseReference, withTagSuffix } from '../transport/reference.js';
import { onInterrupt } from './interrupt.js';
import { checkWritableFolder } from './preflight.js';
import { ProgressDisplay } from './progress.js';
import { parseByteSize, parseChunkSize, parseCompressor, parseCount, parseDigester, parseFsVersion } from './values.js';
import { registryFlagTable, type RegistryFlags } from './registry-flags.js';

/** ConvertFlags are the parsed flags of `convert`. */
export interface ConvertFlags extends RegistryFlags {
  source: string;
  target?: string;
  targetSuffix?: string;
  chunkSize: number;
  compressor: ConvertOptions['compressor'];
  digester: ConvertOptions['digester'];
  fsVersion: 6;
  platform?: string;
  allPlatforms: boolean;
  withReferrer: boolean;
  mergePlatform: boolean;
  oci: boolean;
  workDir?: string;
  threads?: number;
  pushChunkSize?: number;
  outputJson?: string;
  quiet: boolean;
}

type FlagTable = { [K in keyof ConvertFlags]-?: Option };

/** The flags of `convert`, one entry per option, each with its parser and default. */
function convertFlagTable(): FlagTable {
  return {
    source: new Option('--source <ref>', 'source image: [docker://]REGISTRY/REPO[:TAG|@DIGEST], docker-archive:PATH[:REF], oci-archive:PATH[:TAG] or oci:DIR[:TAG]').makeOptionMandatory(),
    target: new Option('--target <ref>', 'target image: [docker://]REGISTRY/REPO[:TAG], oci:DIR[:TAG] or oci-archive:PATH[:TAG]'),
    targetSuffix: new Option('--target-suffix <suffix>', 'target = the source reference with SUFFIX appended to its tag (instead of --target)'),
    chunkSize: new Option('--chunk-size <size>', 'chunk size, a power of two from 0x1000 to 0x1000000').default(0x100000, '0x100000').argParser(parseChunkSize),
    compressor: new Option('--compressor <name>', 'chunk compressor: zstd, lz4_block or none').default('zstd').argParser(parseCompressor),
    digester: new Option('--digester <name>', 'chunk digest: blake3 or sha256').default('blake3').argParser(parseDigester),
    fsVersion: new Option('--fs-version <n>', 'RAFS version to write (only 6)').default(6, '6').argParser(parseFsVersion),
    platform: new Option('--platform <os/arch[/variant]>', 'platform to convert when the source is multi-platform (default: the host platform)'),
    allPlatforms: new Option('--all-platforms', 'convert every platform of a multi-platform source; the target is an index when there are several').default(false).conflicts('platform'),
    withReferrer: new Option('--with-referrer', 'point the Nydus manifest at the source manifest (OCI subject), and keep the registry\'s sha256-<hex> referrers tag when it has no referrers API').default(false),
    mergePlatform: new Option('--merge-platform', 'push one index holding the original manifests and the Nydus manifests (marked with artifactType)').default(false),
    oci: new Option('--oci', 'accepted for compatibility with nydusify: OCI media types are always written').default(false),
    workDir: new Option('--work-dir <dir>', 'folder for temporary files (default: the system temp folder)'),
    threads: new Option('--threads <n>', `worker threads that compress chunks, 0 to ${MAX_THREADS}; 0 uses none (default: one per core)`).argParser((t) => parseCount('--threads', t, 0, MAX_THREADS)),
    ...registryFlagTable(),
    pushChunkSize: new Option('--push-chunk-size <size>', 'upload blobs in chunks of SIZE (e.g. 16M) instead of one request').argParser((t) => parseByteSize('--push-chunk-size', t)),
    outputJson: new Option('--output-json <file>', 'write the result, sizes and timings as JSON to FILE'),
    quiet: new Option('--quiet', 'print no progress, only the result').default(false),
  };
}

/** Builds the `convert` command. */
export function convertCommand(): Command {
  const cmd = new Command('convert').description('convert an image into a Nydus (RAFS v6) image');
  for (const option of Object.values(convertFlagTable())) cmd.addOption(option);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ nydusify convert --source registry.example.com/app:v1 --target registry.example.com/app:v1-nydus
  $ nydusify convert --source docker-archive:alpine.tar --target oci:out/alpine:nydus
  $ nydusify convert --source oci-archive:app.tar:v1 --target oci-archive:app-nydus.tar:v1 --compressor lz4_block
  $ nydusify convert --source oci:layout:latest --target oci:out --platform linux/arm64 --output-json result.json
  $ nydusify convert --source registry.example.com/app:v1 --target-suffix -nydus --all-platforms --with-referrer
  $ nydusify convert --source registry.example.com/app:v1 --target registry.example.com/app:v1-merged --all-platforms --merge-platform

The Nydus reference is printed on stdout; progress goes to stderr.`,
  );
  cmd.action(async (flags: ConvertFlags) => runConvert(flags));
  return cmd;
}

/** targetOf returns the target reference: `--target`, or the source's tag with `--target-suffix`. */
export function targetOf(flags: Pick<ConvertFlags, 'source' | 'target' | 'targetSuffix'>): string {
  if (flags.target !== undefined && flags.targetSuffix !== undefined) {
    throw new UsageError('--target and --target-suffix cannot be used together', { hint: 'give one of them' });
  }
  if (flags.targetSuffix !== undefined) {
    if (flags.targetSuffix === '') throw new UsageError('--target-suffix: the suffix is empty');
    return withTagSuffix(flags.source, flags.targetSuffix);
  }
  if (flags.target === undefined) {
    throw new UsageError('--target or --target-suffix is required', { hint: 'for example --target-suffix -nydus' });
  }
  return flags.target;
}

async function runConvert(given: ConvertFlags): Promise<void> {
  const flags = { ...given, target: targetOf(given) };
  const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
  // With --merge-platform the target keeps the originals beside the Nydus images,
  // so writing it over the source's own name is the point, not a loss.
  const clash = flags.mergePlatform ? undefined : overwritesSource(parseReference(flags.source, 'source'), parseReference(flags.target, 'target'));
  if (clash) throw new UsageError(`--target ${flags.target}: ${clash}`, { hint: 'choose another target' });
  if (flags.outputJson) await checkWritableFolder('--output-json', dirname(resolve(flags.outputJson)));
  const workDir = await makeWorkDir(flags.workDir);
  const source = openSource(flags.source, { insecure: flags.sourceInsecure, plainHttp: flags.plainHttp });
  const target = openTarget(flags.target, {
    insecure: flags.targetInsecure,
    plainHttp: flags.plainHttp,
    pushChunkSize: flags.pushChunkSize,
    mountFrom: mountSources(flags.source, flags.target),
  });
  const progress = new ProgressDisplay(process.stderr, flags.quiet);
  const forget = onInterrupt(async () => {
    progress.stop();
    await target.abort();
    await rm(workDir, { recursive: true, force: true });
  });
  try {
    const result = await convertImage(source, target, {
      chunkSize: flags.chunkSize,
      compressor: flags.compressor,
      digester: flags.digester,
      platform,
      allPlatforms: flags.allPlatforms,
      withReferrer: flags.withReferrer,
      mergePlatform: flags.mergePlatform,
      workDir,
      threads: flags.threads,
      onProgress: progress.onEvent,
      // Warnings are about the image, not progress: --quiet does not hide them.
      onWarning: (w) => process.stderr.write(`warning: ${w.message}\n`),
    });
    if (flags.outputJson) {
      const json = `${JSON.stringify({ command: 'convert', ...result }, null, 2)}\n`;
      await writeFile(flags.outputJson, json).catch((err: Error) => {
        throw new NydusifyError('ERR_IO', `the image was written, but --output-json ${flags.outputJson} was not: ${err.message}`);
      });
    }
    process.stdout.write(`${result.target.reference}@${result.target.manifestDigest}\n`);
  } finally {
    forget();
    progress.stop();
    await source.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Creates this run's work folder under `--work-dir` (or the system temp folder). */
async function makeWorkDir(parent: string | undefined): Promise<string> {
  if (parent !== undefined) await checkWritableFolder('--work-dir', parent);
  return mkdtemp(join(parent ?? tmpdir(), 'nydusify-run-'));
}
