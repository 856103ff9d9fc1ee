/**
 * LayoutTarget writes an image into an OCI layout directory (`oci:DIR[:TAG]`).
 *
 * Nothing appears at DIR before `commit()`:
 * - DIR missing or an empty directory: the layout is built in a temporary sibling
 *   and renamed onto DIR on commit (rename(2) replaces an empty directory).
 * - DIR an existing layout: blobs are added in place, content-addressed and each
 *   written to a temporary name and renamed, so a blob file is never half-written;
 *   `index.json` is replaced atomically on commit, keeping the other tags.
 * `abort()` removes the staging directory, or the blobs this target added.
 * References: https://github.com/opencontainers/image-spec/blob/main/image-layout.md
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError, ImageError, withContext } from '../errors.js';
import { fileDigest, parseDigest, sha256Digest, verifyStream } from '../oci/digest.js';
import { MAX_MANIFEST_BYTES, parseIndex } from '../oci/parse.js';
import { MEDIA_TYPE, type Descriptor, type Index } from '../oci/types.js';
import { DirTree } from './file-tree.js';
import { OCI_LAYOUT_FILE, OCI_LAYOUT_VERSION, checkLayoutMarker } from './layout-source.js';
import { REF_NAME_ANNOTATION, refName } from './select.js';
import type { ImageTarget } from './types.js';

/** Where blobs go and how DIR comes to exist. */
type Mode =
  | { kind: 'new'; root: string; createdParent?: string }
  | { kind: 'existing'; root: string };

/** tempName returns a unique sibling name for `path`, for write-then-rename. */
export function tempName(path: string): string {
  return `${path}.tmp-${randomBytes(6).toString('hex')}`;
}

async function isMissingOrEmptyDir(dir: string): Promise<boolean> {
  try {
    const st = await stat(dir);
    return st.isDirectory() && (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

/** LayoutTarget is an ImageTarget writing an OCI layout directory. */
export class LayoutTarget implements ImageTarget {
  private mode?: Promise<Mode>;
  private state: 'open' | 'committed' | 'aborted' = 'open';
  /** Blob files this target created in an existing layout, removed on abort. */
  private readonly added = new Set<string>();
  /** Temporary files being written, removed on abort. */
  private readonly temps = new Set<string>();
  private manifest?: Descriptor;

  constructor(
    readonly reference: string,
    /** The layout directory. */
    readonly dir: string,
    private readonly tag?: string,
  ) {}

  private prepare(): Promise<Mode> {
    if (this.state !== 'open') throw new ImageError('target', `${this.dir}: target already ${this.state}`);
    this.mode ??= this.open();
    return this.mode;
  }

  private async open(): Promise<Mode> {
    if (!(await isMissingOrEmptyDir(this.dir))) {
      try {
        await checkLayoutMarker(new DirTree(this.dir));
      } catch (err) {
        throw new ImageError('target', `${this.dir} exists and is not an OCI layout`, { cause: err });
      }
      await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
      return { kind: 'existing', root: this.dir };
    }
    const createdParent = await mkdir(dirname(this.dir), { recursive: true });
    const root = tempName(join(dirname(this.dir), `.${basename(this.dir)}`));
    // Not recursive: where the parent cannot hold new folders (procfs, for one), a
    // recursive mkdir keeps retrying the parent and never returns.
    await mkdir(root);
    await mkdir(join(root, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(root, OCI_LAYOUT_FILE), JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION }));
    return createdParent === undefined ? { kind: 'new', root } : { kind: 'new', root, createdParent };
  }

  /** Returns the blob's final path, or undefined when the layout already has it. */
  private async blobDestination(desc: Descriptor): Promise<string | undefined> {
    const mode = await this.prepare();
    const dest = join(mode.root, 'blobs', 'sha256', parseDigest(desc.digest).hex);
    try {
      // A blob already there is reused only if its bytes are right: a damaged copy
      // would otherwise end up named by a new image.
      if ((await stat(dest)).size === desc.size && (await fileDigest(dest)) === desc.digest) return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return dest;
  }

  /** Writes via `write(tmp)`, then renames tmp onto dest; the tmp goes on failure. */
  private async place(
    dest: string,
    write: (tmp: string) => Promise<void>,
    isBlob = true,
  ): Promise<void> {
    const tmp = tempName(dest);
    this.temps.add(tmp);
    try {
      await write(tmp);
      await rename(tmp, dest);
      if (isBlob && (await this.mode)?.kind === 'existing') this.added.add(dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    } finally {
      this.temps.delete(tmp);
    }
  }

  async putBlobFile(desc: Descriptor, path: string): Promise<void> {
    const dest = await this.blobDestination(desc);
    if (dest === undefined) return;
    await this.place(dest, (tmp) =>
      pipeline(
        verifyStream(createReadStream(path), desc, `blob ${desc.digest} from ${path}`),
        createWriteStream(tmp),
      ),
    );
  }

  async putBlobBytes(desc: Descriptor, bytes: Buffer): Promise<void> {
    if (bytes.length !== desc.size) {
      throw new DigestMismatchError(`blob ${desc.digest}`, `${desc.size} bytes`, `${bytes.length} bytes`);
    }
    const actual = sha256Digest(bytes);
    if (actual !== desc.digest) throw new DigestMismatchError(`blob ${desc.digest}`, desc.digest, actual);
    const dest = await this.blobDestination(desc);
    if (dest === undefined) return;
    await this.place(dest, (tmp) => writeFile(tmp, bytes));
  }

  async putManifest(desc: Descriptor, bytes: Buffer): Promise<void> {
    await this.putBlobBytes(desc, bytes);
    this.manifest = desc;
  }

  async commit(): Promise<void> {
    const mode = await this.prepare();
    if (this.manifest === undefined) throw new ImageError('target', `${this.dir}: commit before putManifest`);
    try {
      const index = mode.kind === 'existing' ? await this.readIndex() : emptyIndex();
      index.manifests = withEntry(index.manifests, this.manifest, this.tag);
      const indexPath = join(mode.root, 'index.json');
      await this.place(indexPath, (tmp) => writeFile(tmp, JSON.stringify(index)), false);
      if (mode.kind === 'new') await this.publish(mode.root);
    } catch (err) {
      await this.abort();
      throw err instanceof ImageError ? err : withContext(`target: committing ${this.dir}`, err);
    }
    this.state = 'committed';
  }

  private async readIndex(): Promise<Index> {
    const tree = new DirTree(this.dir);
    const bytes = await tree.readAll('index.json', MAX_MANIFEST_BYTES);
    return parseIndex(bytes, 'target', `${this.dir}: index.json`);
  }

  private async publish(root: string): Promise<void> {
    try {
      await rename(root, this.dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') {
        throw new ImageError('target', `${this.dir} appeared while the image was written; left it alone`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    const mode = await this.mode?.catch(() => undefined);
    for (const tmp of this.temps) await rm(tmp, { force: true });
    if (mode?.kind === 'new') {
      await rm(mode.root, { recursive: true, force: true });
      if (mode.createdParent !== undefined) await rm(mode.createdParent, { recursive: true, force: true });
    } else {
      for (const blob of this.added) await unlink(blob).catch(() => undefined);
    }
  }
}

function emptyIndex(): Index {
  return { schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: [] };
}

/**
 * withEntry adds the manifest to an index's entries under `tag`, dropping the entry
 * the tag named before; untagged, it drops only an untagged entry of the same digest.
 */
export function withEntry(
  entries: Descriptor[],
  manifest: Descriptor,
  tag: string | undefined,
): Descriptor[] {
  const entry: Descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size };
  if (manifest.platform !== undefined) entry.platform = manifest.platform;
  if (tag !== undefined) entry.annotations = { [REF_NAME_ANNOTATION]: tag };
  const kept = entries.filter((e) =>
    tag !== undefined ? refName(e) !== tag : refName(e) !== undefined || e.digest !== manifest.digest,
  );
  return [...kept, entry];
}
