/**
 * `nydusify convert`: the flags (as one table), and the action that runs the
 * converter and reports the result.
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { convertImage, type ConvertOptions } from '../convert/convert.js';
import { parsePlatform } from '../oci/platform.js';
import { openSource, openTarget } from '../transport/open.js';
import { ProgressDisplay } from './progress.js';
import { parseChunkSize, parseCompressor, parseDigester, parseFsVersion } from './values.js';

/** ConvertFlags are the parsed flags of `convert`. */
export interface ConvertFlags {
  source: string;
  target: string;
  chunkSize: number;
  compressor: ConvertOptions['compressor'];
  digester: ConvertOptions['digester'];
  fsVersion: 6;
  platform?: string;
  oci: boolean;
  workDir?: string;
  outputJson?: string;
  quiet: boolean;
}

type FlagTable = { [K in keyof ConvertFlags]-?: Option };

/** The flags of `convert`, one entry per option, each with its parser and default. */
function convertFlagTable(): FlagTable {
  return {
    source: new Option('--source <ref>', 'source image: docker-archive:PATH[:REF], oci-archive:PATH[:TAG] or oci:DIR[:TAG]').makeOptionMandatory(),
    target: new Option('--target <ref>', 'target image: oci:DIR[:TAG] or oci-archive:PATH[:TAG]').makeOptionMandatory(),
    chunkSize: new Option('--chunk-size <size>', 'chunk size, a power of two from 0x1000 to 0x1000000').default(0x100000, '0x100000').argParser(parseChunkSize),
    compressor: new Option('--compressor <name>', 'chunk compressor: zstd, lz4_block or none').default('zstd').argParser(parseCompressor),
    digester: new Option('--digester <name>', 'chunk digest: blake3 or sha256').default('blake3').argParser(parseDigester),
    fsVersion: new Option('--fs-version <n>', 'RAFS version to write (only 6)').default(6, '6').argParser(parseFsVersion),
    platform: new Option('--platform <os/arch[/variant]>', 'platform to convert when the source is multi-platform (default: the host platform)'),
    oci: new Option('--oci', 'write OCI media types even when the source is a Docker image').default(false),
    workDir: new Option('--work-dir <dir>', 'folder for temporary files (default: the system temp folder)'),
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
  $ nydusify convert --source docker-archive:alpine.tar --target oci:out/alpine:nydus
  $ nydusify convert --source oci-archive:app.tar:v1 --target oci-archive:app-nydus.tar:v1 --compressor lz4_block
  $ nydusify convert --source oci:layout:latest --target oci:out --platform linux/arm64 --output-json result.json

The Nydus reference is printed on stdout; progress goes to stderr.`,
  );
  cmd.action(async (flags: ConvertFlags) => runConvert(flags));
  return cmd;
}

async function runConvert(flags: ConvertFlags): Promise<void> {
  const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
  const source = openSource(flags.source);
  const target = openTarget(flags.target);
  const progress = new ProgressDisplay(process.stderr, flags.quiet);
  try {
    const result = await convertImage(source, target, {
      chunkSize: flags.chunkSize,
      compressor: flags.compressor,
      digester: flags.digester,
      platform,
      oci: flags.oci,
      workDir: flags.workDir,
      onProgress: progress.onEvent,
      onWarning: (w) => {
        if (!flags.quiet) process.stderr.write(`warning: ${w.message}\n`);
      },
    });
    if (flags.outputJson) {
      await writeFile(flags.outputJson, `${JSON.stringify({ command: 'convert', ...result }, null, 2)}\n`);
    }
    process.stdout.write(`${result.target.reference}@${result.target.manifestDigest}\n`);
  } finally {
    progress.stop();
    await source.close();
  }
}
