/**
 * `nydusify inspect`: the flags (as one table), and the action that prints a Nydus
 * image's superblock, blob table and file listing, or one entry in full.
 */
import { Command, Option } from 'commander';
import { describeEntry } from '../inspect/entry.js';
import { openNydusInput } from '../inspect/open-input.js';
import { renderEntry, renderReport } from '../inspect/render-text.js';
import { describeBootstrap } from '../inspect/report.js';
import { parsePlatform } from '../oci/platform.js';
import { imageRegistryFlagTable, type ImageRegistryFlags } from './registry-flags.js';

/** InspectFlags are the parsed flags of `inspect`. */
export interface InspectFlags extends ImageRegistryFlags {
  path?: string;
  json: boolean;
  platform?: string;
  blobDir?: string;
}

type FlagTable = { [K in keyof InspectFlags]-?: Option };

/** The flags of `inspect`, one entry per option. */
function inspectFlagTable(): FlagTable {
  return {
    path: new Option('--path <path>', 'show one entry in full: inode, xattrs and chunks'),
    json: new Option('--json', 'print JSON for scripts (schemaVersion 1; fields in src/inspect/report.ts and entry.ts)').default(false),
    platform: new Option('--platform <os/arch[/variant]>', 'platform to inspect when the image is multi-platform (default: the host platform)'),
    ...imageRegistryFlagTable(),
    blobDir: new Option('--blob-dir <dir>', 'for a bootstrap file: folder holding its data blobs named by blob id (only --path reads none)'),
  };
}

/** Builds the `inspect` command. */
export function inspectCommand(): Command {
  const cmd = new Command('inspect')
    .description('show the superblock, blob table and files of a Nydus image or bootstrap')
    .argument('<source>', 'image reference (oci:DIR[:TAG], oci-archive:PATH[:TAG], docker-archive:PATH), a RAFS v6 bootstrap file, or a data blob with an inlined bootstrap');
  for (const option of Object.values(inspectFlagTable())) cmd.addOption(option);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ nydusify inspect oci:out/alpine:nydus
  $ nydusify inspect image.boot --path /etc/passwd
  $ nydusify inspect oci-archive:app-nydus.tar:v1 --json > report.json

The listing is one line per path: mode, links, uid, gid, size (or major, minor),
mtime (UTC), path and symlink target. Unprintable bytes in names show as \\xNN.`,
  );
  cmd.action(async (source: string, flags: InspectFlags) => runInspect(source, flags));
  return cmd;
}

async function runInspect(source: string, flags: InspectFlags): Promise<void> {
  const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
  const input = await openNydusInput(source, { platform, blobDir: flags.blobDir, insecure: flags.insecure, plainHttp: flags.plainHttp });
  try {
    if (flags.path !== undefined) {
      const entry = describeEntry(input.bootstrap, flags.path);
      process.stdout.write(flags.json ? `${JSON.stringify(entry, null, 2)}\n` : `${renderEntry(entry)}\n`);
      return;
    }
    const report = describeBootstrap(input, input.bootstrap);
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderReport(report)}\n`);
  } finally {
    await input.close();
  }
}
