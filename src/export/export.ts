/**
 * `export`: a Nydus image as plain files that EROFS tools read: `image.boot` (the
 * bootstrap) and one uncompressed device file per blob-table entry, `blob-1`,
 * `blob-2`, … in blob-table order, which is the order of fsck.erofs `--device=` and
 * of the kernel's `device=` mount options.
 *
 * Nothing appears at the output folder until everything is written: the files go
 * into a temporary folder beside it, which is renamed into place at the end and
 * removed on failure.
 */
import { mkdtemp, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError, withContext } from '../errors.js';
import type { NydusInput } from '../inspect/open-input.js';
import { deviceName } from '../inspect/report.js';
import { deviceChunks, writeDeviceFile } from './device-file.js';

/** BOOTSTRAP_FILE is the name of the bootstrap in the output folder. */
export const BOOTSTRAP_FILE = 'image.boot';

/** ExportedDevice is one device file of the output. */
export interface ExportedDevice {
  /** Blob-table position; the EROFS device id is index + 1. */
  index: number;
  blobId: string;
  path: string;
  size: number;
  chunks: number;
}

/** ExportResult lists what `exportNydus` wrote, with final paths. */
export interface ExportResult {
  dir: string;
  bootstrap: string;
  /** Device files in blob-table order. */
  devices: ExportedDevice[];
}

/** ExportProgress reports a finished device file. */
export type ExportProgress = (device: ExportedDevice, total: number) => void;

/** exportNydus writes the bootstrap and device files of `input` into the new folder `outDir`. */
export async function exportNydus(input: NydusInput, outDir: string, onDevice?: ExportProgress): Promise<ExportResult> {
  const dir = resolve(outDir);
  const existed = await checkOutput(dir);
  const temp = await mkdtemp(join(dirname(dir), `.${basename(dir)}.export-`)).catch((err: unknown) => {
    throw withContext(`--output ${dir}: creating a temporary folder beside it`, err);
  });
  try {
    await writeFile(join(temp, BOOTSTRAP_FILE), input.bootstrapBytes);
    const { blobs, chunkTable } = input.bootstrap;
    const devices: ExportedDevice[] = [];
    for (const [index, info] of blobs.entries()) {
      const chunks = deviceChunks(chunkTable, index, info);
      const name = deviceName(index);
      const written = await writeDeviceFile(await input.blob(index), info, chunks, join(temp, name));
      const device = { index, blobId: info.blobId, path: join(dir, name), size: written.size, chunks: written.chunks };
      devices.push(device);
      onDevice?.(device, blobs.length);
    }
    if (existed) {
      // An empty folder the user made (maybe a symlink, maybe with its own mode)
      // stays: the finished files move into it.
      for (const name of await readdir(temp)) await rename(join(temp, name), join(dir, name));
      await rmdir(temp);
    } else {
      await rename(temp, dir);
    }
    return { dir, bootstrap: join(dir, BOOTSTRAP_FILE), devices };
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}

/** Refuses an output that is a file or a non-empty folder; says whether an empty one exists. */
async function checkOutput(dir: string): Promise<boolean> {
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  if (!isDir) throw new UsageError(`--output ${dir}: exists and is not a folder`);
  if ((await readdir(dir)).length > 0) {
    throw new UsageError(`--output ${dir}: the folder is not empty`, {
      hint: 'name a new or empty folder; export never overwrites files',
    });
  }
  return true;
}

/** shellQuote quotes a word for a POSIX shell when it needs quoting. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** fsckCommand is the fsck.erofs command line that extracts the exported tree into `target`. */
export function fsckCommand(result: ExportResult, target: string): string {
  const devices = result.devices.map((d) => `--device=${shellQuote(d.path)}`);
  return ['fsck.erofs', ...devices, `--extract=${shellQuote(target)}`, shellQuote(result.bootstrap)].join(' ');
}

/**
 * mountCommand is a shell command that mounts the export read-only at `mountPoint`
 * as root: each device file is attached to a loop device and passed as `device=`,
 * in order; mount attaches the bootstrap file itself.
 */
export function mountCommand(result: ExportResult, mountPoint: string): string {
  const options = ['ro', ...result.devices.map((d) => `device=$(losetup -f --show -r ${shellQuote(d.path)})`)];
  return `mount -t erofs -o "${options.join(',')}" ${shellQuote(result.bootstrap)} ${shellQuote(mountPoint)}`;
}
