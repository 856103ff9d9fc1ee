/**
 * OciArchiveTarget writes an image as a tar of an OCI layout (`oci-archive:PATH`).
 *
 * The layout is built in a temporary directory beside PATH (same filesystem, and
 * not a possibly small tmpfs), tarred deterministically to `PATH.tmp-…` and renamed
 * onto PATH on commit. An existing archive at PATH is replaced, not merged into,
 * as skopeo does.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { ImageError, withContext } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import { LayoutTarget, tempName } from './layout-target.js';
import type { ImageTarget } from './types.js';

/** Fixed metadata for every archive member, so equal layouts give equal bytes. */
const MEMBER_DEFAULTS = { mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' };
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

/** Lists a directory's files and subdirectories, relative and sorted by name. */
async function walk(root: string, prefix = ''): Promise<{ name: string; dir: boolean }[]> {
  const out: { name: string; dir: boolean }[] = [];
  const entries = (await readdir(join(root, prefix), { withFileTypes: true }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    out.push({ name, dir: entry.isDirectory() });
    if (entry.isDirectory()) out.push(...(await walk(root, name)));
  }
  return out;
}

/** Adds one file to the pack and waits for its data to be written. */
function addFile(pack: tar.Pack, name: string, path: string, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry({ ...MEMBER_DEFAULTS, name, size, mode: FILE_MODE, type: 'file' }, (err) =>
      err ? reject(err) : resolve(),
    );
    pipeline(createReadStream(path), entry).catch(reject);
  });
}

/** writeLayoutTar tars the directory `root` to `out`: sorted names, fixed metadata. */
export async function writeLayoutTar(root: string, out: string): Promise<void> {
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(out));
  try {
    for (const { name, dir } of await walk(root)) {
      if (dir) {
        pack.entry({ ...MEMBER_DEFAULTS, name: `${name}/`, mode: DIR_MODE, type: 'directory' });
      } else {
        await addFile(pack, name, join(root, name), (await stat(join(root, name))).size);
      }
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
  }
  await written;
}

/**
 * Refuses a target path that holds anything but a regular file: renaming the new
 * archive over a device node, a FIFO, a folder or a symlink would destroy it.
 */
async function refuseNonFile(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ImageError('target', `cannot look at ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!st.isFile()) {
    throw new ImageError('target', `${path} exists and is not a regular file; refusing to replace it`, {
      hint: 'choose a new path for the oci-archive target, or remove what is there',
    });
  }
}

/** OciArchiveTarget is an ImageTarget writing an OCI layout tarball. */
export class OciArchiveTarget implements ImageTarget {
  private work?: Promise<{ tmpDir: string; layout: LayoutTarget }>;

  constructor(
    readonly reference: string,
    private readonly path: string,
    private readonly tag?: string,
  ) {}

  private prepare(): Promise<{ tmpDir: string; layout: LayoutTarget }> {
    this.work ??= (async () => {
      await refuseNonFile(this.path);
      let tmpDir: string;
      try {
        await mkdir(dirname(this.path), { recursive: true });
        tmpDir = await mkdtemp(join(dirname(this.path), `.${basename(this.path)}.tmp-`));
      } catch (err) {
        throw new ImageError('target', `cannot write beside ${this.path}: ${(err as Error).message}`, { cause: err });
      }
      return { tmpDir, layout: new LayoutTarget(this.reference, join(tmpDir, 'layout'), this.tag) };
    })();
    return this.work;
  }

  async putBlobFile(desc: Descriptor, path: string): Promise<void> {
    await (await this.prepare()).layout.putBlobFile(desc, path);
  }

  async putBlobBytes(desc: Descriptor, bytes: Buffer): Promise<void> {
    await (await this.prepare()).layout.putBlobBytes(desc, bytes);
  }

  async putManifest(desc: Descriptor, bytes: Buffer): Promise<void> {
    await (await this.prepare()).layout.putManifest(desc, bytes);
  }

  async commit(): Promise<void> {
    const { tmpDir, layout } = await this.prepare();
    const tarPath = tempName(this.path);
    try {
      await layout.commit();
      await writeLayoutTar(layout.dir, tarPath);
      await rename(tarPath, this.path);
    } catch (err) {
      await rm(tarPath, { force: true });
      throw err instanceof ImageError ? err : withContext(`target: writing ${this.path}`, err);
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
  }

  async abort(): Promise<void> {
    const work = await this.work?.catch(() => undefined);
    if (work === undefined) return;
    await work.layout.abort();
    await rm(work.tmpDir, { recursive: true, force: true });
  }
}
