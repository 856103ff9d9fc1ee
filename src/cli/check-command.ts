/**
 * `nydusify check`: the flags (as one table), and the action that runs the rules,
 * prints the report and ends with exit status 3 when the images differ.
 */
import { dirname, resolve } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { checkImage } from '../check/check.js';
import { MismatchError } from '../check/differences.js';
import { DEFAULT_MAX_DIFFERENCES, formatReport } from '../check/report.js';
import { UsageError } from '../errors.js';
import { parsePlatform } from '../oci/platform.js';
import { findNydusImage } from '../convert/referrer.js';
import { preferNydus } from '../transport/image-set.js';
import { openSource } from '../transport/open.js';
import { registryFlagTable, type RegistryFlags } from './registry-flags.js';
import { checkWritableFolder } from './preflight.js';

/** CheckFlags are the parsed flags of `check`. */
export interface CheckFlags extends RegistryFlags {
  target: string;
  source?: string;
  referrer: boolean;
  platform?: string;
  workDir?: string;
  outputJson?: string;
  maxDifferences: number;
}

type FlagTable = { [K in keyof CheckFlags]-?: Option };

/** The flags of `check`, one entry per option, each with its parser and default. */
function checkFlagTable(): FlagTable {
  return {
    target: new Option('--target <ref>', 'the Nydus image to check: [docker://]REGISTRY/REPO[:TAG], oci:DIR[:TAG], oci-archive:PATH[:TAG] or docker-archive:PATH[:REF]').makeOptionMandatory(),
    source: new Option('--source <ref>', 'the image it was converted from; adds the config comparison and the file-by-file comparison'),
    referrer: new Option('--referrer', 'the --target names the original image in a registry: check the Nydus image referring to it (referrers API, else the sha256-<hex> tag); without --source, the original is also the source').default(false),
    platform: new Option('--platform <os/arch[/variant]>', 'platform to check when an image is multi-platform (default: the host platform)'),
    workDir: new Option('--work-dir <dir>', 'folder for copies of the data blobs (default: the system temp folder)'),
    outputJson: new Option('--output-json <file>', 'write the result with every difference as JSON to FILE'),
    maxDifferences: new Option('--max-differences <n>', 'differences shown in the report').default(DEFAULT_MAX_DIFFERENCES).argParser(parseMaxDifferences),
    ...registryFlagTable(),
  };
}

/** Parses `--max-differences`: a whole number, 0 or more. */
export function parseMaxDifferences(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--max-differences ${text}: must be a whole number, 0 or more`);
  return Number(text);
}

/** Builds the `check` command. */
export function checkCommand(): Command {
  const cmd = new Command('check').description('check a Nydus image, and that it holds the same files as its source');
  for (const option of Object.values(checkFlagTable())) cmd.addOption(option);
  cmd.addHelpText(
    'after',
    `
Rules: manifest (layer media types and annotations, diff_ids, the config against
the source's), bootstrap (decodes; every blob is a layer; ToC, meta header,
chunk-info array and chunk digests agree), and with --source, filesystem (every
path's type, mode, uid, gid, size, rdev, symlink target, xattrs, and contents
read back chunk by chunk with every chunk digest verified).

Examples:
  $ nydusify check --target oci:out/alpine:nydus
  $ nydusify check --target oci:out/alpine:nydus --source docker-archive:alpine.tar
  $ nydusify check --target oci-archive:app-nydus.tar:v1 --source oci-archive:app.tar:v1 --output-json diff.json
  $ nydusify check --target registry.example.com/app:v1 --referrer

A --target that is a merged index (convert --merge-platform) is checked through
its Nydus entry for the platform.

The report goes to stdout. Exit status: 0 when every rule holds, 3 when the images
differ (a bootstrap or blob that fails validation counts as a difference), 1 when
an image cannot be read or the target is not a Nydus image, 2 for usage errors.`,
  );
  cmd.action(async (flags: CheckFlags) => runCheck(flags));
  return cmd;
}

async function runCheck(flags: CheckFlags): Promise<void> {
  const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
  if (flags.outputJson) await checkWritableFolder('--output-json', dirname(resolve(flags.outputJson)));
  const targetOpts = { insecure: flags.targetInsecure, plainHttp: flags.plainHttp, side: 'target' as const };
  let targetRef = flags.target;
  let sourceRef = flags.source;
  if (flags.referrer) {
    const found = await findNydusImage(flags.target, { ...targetOpts, platform });
    process.stderr.write(`checking ${found.reference}, the Nydus referrer of ${found.subject} (found via ${found.via === 'api' ? 'the referrers API' : 'the referrers tag'})\n`);
    targetRef = found.reference;
    // The referrer's subject is the original itself, the natural thing to compare with.
    sourceRef ??= flags.target;
  }
  const target = preferNydus(openSource(targetRef, targetOpts));
  const sourceInsecure = flags.referrer && flags.source === undefined ? flags.targetInsecure : flags.sourceInsecure;
  const source = sourceRef === undefined ? undefined : openSource(sourceRef, { insecure: sourceInsecure, plainHttp: flags.plainHttp });
  try {
    const result = await checkImage(target, { source, platform, workDir: flags.workDir });
    if (flags.outputJson) {
      const ok = result.differences.length === 0;
      await writeFile(flags.outputJson, `${JSON.stringify({ command: 'check', ok, ...result }, null, 2)}\n`);
    }
    process.stdout.write(formatReport(result, flags.maxDifferences));
    if (result.differences.length > 0) throw new MismatchError(result.differences.length);
  } finally {
    await target.close();
    await source?.close();
  }
}
