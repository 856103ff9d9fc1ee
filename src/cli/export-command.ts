/**
 * `nydusify export`: the flags (as one table), and the action that writes a Nydus
 * image as a bootstrap plus uncompressed device files, then prints the fsck.erofs
 * and mount command lines that read them.
 */
import { Command, Option } from 'commander';
import { exportNydus, fsckCommand, mountCommand } from '../export/export.js';
import { openNydusInput } from '../inspect/open-input.js';
import { parsePlatform } from '../oci/platform.js';
import { formatBytes } from './report.js';
import { imageRegistryFlagTable, type ImageRegistryFlags } from './registry-flags.js';

/** ExportFlags are the parsed flags of `export`. */
export interface ExportFlags extends ImageRegistryFlags {
  output: string;
  platform?: string;
  blobDir?: string;
  workDir?: string;
  quiet: boolean;
}

type FlagTable = { [K in keyof ExportFlags]-?: Option };

/** The flags of `export`, one entry per option. */
function exportFlagTable(): FlagTable {
  return {
    output: new Option('--output <dir>', 'new (or empty) folder to write image.boot and blob-1, blob-2, … into').makeOptionMandatory(),
    platform: new Option('--platform <os/arch[/variant]>', 'platform to export when the image is multi-platform (default: the host platform)'),
    ...imageRegistryFlagTable(),
    blobDir: new Option('--blob-dir <dir>', 'for a bootstrap file: folder holding its data blobs named by blob id'),
    workDir: new Option('--work-dir <dir>', 'folder for temporary blob copies (default: the system temp folder)'),
    quiet: new Option('--quiet', 'print no progress').default(false),
  };
}

/** Builds the `export` command. */
export function exportCommand(): Command {
  const cmd = new Command('export')
    .description('write a Nydus image as a bootstrap plus one uncompressed EROFS device file per blob')
    .argument('<source>', 'image reference, a RAFS v6 bootstrap file (with --blob-dir), or a data blob with an inlined bootstrap');
  for (const option of Object.values(exportFlagTable())) cmd.addOption(option);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ nydusify export oci:out/alpine:nydus --output alpine-erofs
  $ nydusify export image.boot --blob-dir blobs --output view

Device file blob-N holds blob-table entry N-1, so pass them to fsck.erofs --device=
and to mount -o device= in that order. The command lines are printed on stdout.`,
  );
  cmd.action(async (source: string, flags: ExportFlags) => runExport(source, flags));
  return cmd;
}

async function runExport(source: string, flags: ExportFlags): Promise<void> {
  const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
  const input = await openNydusInput(source, { platform, blobDir: flags.blobDir, insecure: flags.insecure, plainHttp: flags.plainHttp, workDir: flags.workDir });
  try {
    const result = await exportNydus(input, flags.output, (device, total) => {
      if (!flags.quiet) {
        process.stderr.write(`wrote ${device.path} (${device.index + 1}/${total}, ${formatBytes(device.size)}, ${device.chunks} chunks)\n`);
      }
    });
    process.stdout.write(`${fsckCommand(result, `${result.dir}-rootfs`)}\n`);
    process.stdout.write(`${mountCommand(result, '/mnt')}\n`);
  } finally {
    await input.close();
  }
}
