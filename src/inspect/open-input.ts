/**
 * What `inspect` and `export` read: a Nydus image named by a reference, a RAFS v6
 * bootstrap file, or a Nydus data blob file whose bootstrap is inlined (found through
 * its ToC). All three come back as one NydusInput: the bootstrap bytes, the decoded
 * bootstrap, and the data blob of each blob-table entry on demand.
 *
 * Where the blobs of a file input come from: `--blob-dir DIR` names them as
 * `DIR/<blob id>` (the way nydus-image lays out `-D` blob folders); without it, a data
 * blob file with exactly one blob-table entry serves that entry itself, since a
 * per-layer bootstrap describes the blob it is inlined in.
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openBlobFile, type BlobFile } from '../blob/reader.js';
import { ImageError, NydusifyError, UsageError, withContext } from '../errors.js';
import { openNydusImage, type NydusImage } from '../nydus/open-image.js';
import type { Platform } from '../oci/types.js';
import { readBootstrap, RAFS_V5_MAGIC, type Bootstrap } from '../rafs/reader.js';
import { EROFS_SUPER_MAGIC, EROFS_SUPER_OFFSET } from '../rafs/superblock.js';
import { openSource } from '../transport/open.js';

/** InputKind says what the user named: an image, a bootstrap file or a data blob file. */
export type InputKind = 'image' | 'bootstrap' | 'blob';

/**
 * NydusInput is an opened bootstrap with access to its data blobs: the part of a
 * NydusImage that a bootstrap or blob file can offer too.
 */
export type NydusInput = Pick<NydusImage, 'bootstrapBytes' | 'bootstrap' | 'blob' | 'close'> & {
  /** What the user wrote, for messages. */
  name: string;
  kind: InputKind;
};

/** InputOptions are the flags that shape how an input is opened. */
export interface InputOptions {
  /** Platform to pick when an image reference names an index. */
  platform?: Platform;
  /** Folder holding data blobs named by blob id, for file inputs. */
  blobDir?: string;
  /** Folder for temporary copies of image blobs. */
  workDir?: string;
  /** Registry connection choices (see OpenOptions). */
  insecure?: boolean;
  plainHttp?: boolean;
}

/** Transport prefixes that make the text an image reference rather than a file path. */
const REFERENCE_PREFIXES = ['oci:', 'oci-archive:', 'docker-archive:', 'docker://'];

/** Bytes read from the front of a file to tell a bootstrap from a blob. */
const SNIFF_BYTES = EROFS_SUPER_OFFSET + 4;

/** openNydusInput opens `text` as an image reference or as a bootstrap or blob file. */
export async function openNydusInput(text: string, opts: InputOptions = {}): Promise<NydusInput> {
  if (!REFERENCE_PREFIXES.some((p) => text.startsWith(p)) && (await isRegularFile(text))) {
    return openFileInput(text, opts.blobDir);
  }
  if (opts.blobDir !== undefined) {
    throw new UsageError('--blob-dir applies to a bootstrap or blob file, not to an image reference');
  }
  const source = openSource(text, { insecure: opts.insecure, plainHttp: opts.plainHttp });
  try {
    const image = await openNydusImage(source, { platform: opts.platform, workDir: opts.workDir });
    return {
      name: text,
      kind: 'image',
      bootstrapBytes: image.bootstrapBytes,
      bootstrap: image.bootstrap,
      blob: (i) => image.blob(i),
      close: async () => {
        await image.close();
        await source.close();
      },
    };
  } catch (err) {
    await source.close();
    throw err;
  }
}

async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Opens a file that holds either a RAFS bootstrap or a data blob with one inlined. */
async function openFileInput(path: string, blobDir: string | undefined): Promise<NydusInput> {
  const kind = await sniffFile(path);
  let bootstrapBytes: Buffer;
  let self: BlobFile | undefined;
  if (kind === 'bootstrap') {
    bootstrapBytes = await readWholeFile(path);
  } else {
    self = await openBlobFile(path).catch((err: unknown) => {
      throw notNydus(path, err);
    });
    if (self.bootstrap === null) {
      await self.close();
      throw notNydus(path, undefined, 'no RAFS superblock, and no inlined image.boot found from its end');
    }
    bootstrapBytes = self.bootstrap;
  }
  let bootstrap: Bootstrap;
  try {
    bootstrap = readBootstrap(bootstrapBytes);
  } catch (err) {
    await self?.close();
    throw withContext(`reading the bootstrap of ${path}`, err);
  }
  return fileInput(path, kind, bootstrapBytes, bootstrap, self, blobDir);
}

function fileInput(
  path: string,
  kind: InputKind,
  bootstrapBytes: Buffer,
  bootstrap: Bootstrap,
  self: BlobFile | undefined,
  blobDir: string | undefined,
): NydusInput {
  const opened = new Map<number, Promise<BlobFile>>();
  const locate = async (index: number): Promise<BlobFile> => {
    const info = bootstrap.blobs[index];
    if (info === undefined) throw new ImageError('target', `${path}: the bootstrap has no blob ${index}`);
    if (blobDir !== undefined) return openBlobFile(join(blobDir, info.blobId));
    if (self !== undefined && bootstrap.blobs.length === 1) return self;
    throw new UsageError(`${path}: blob ${index} (${info.blobId}) is needed but no --blob-dir was given`, {
      hint: 'pass --blob-dir DIR, a folder holding the data blobs named by blob id',
    });
  };
  return {
    name: path,
    kind,
    bootstrapBytes,
    bootstrap,
    blob(index: number): Promise<BlobFile> {
      let file = opened.get(index);
      if (file === undefined) {
        file = locate(index);
        opened.set(index, file);
      }
      return file;
    },
    async close(): Promise<void> {
      const files = new Set<BlobFile>();
      for (const f of await Promise.allSettled(opened.values())) {
        if (f.status === 'fulfilled') files.add(f.value);
      }
      if (self !== undefined) files.add(self);
      for (const f of files) await f.close();
    },
  };
}

/**
 * sniffFile tells a bootstrap (RAFS v5 magic at 0, or the EROFS magic at 1024) from
 * anything else, which is then tried as a data blob.
 */
async function sniffFile(path: string): Promise<'bootstrap' | 'blob'> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    if (bytesRead >= 4 && head.readUInt32LE(0) === RAFS_V5_MAGIC) return 'bootstrap';
    if (bytesRead === SNIFF_BYTES && head.readUInt32LE(EROFS_SUPER_OFFSET) === EROFS_SUPER_MAGIC) {
      return 'bootstrap';
    }
    return 'blob';
  } finally {
    await handle.close();
  }
}

/** Largest bootstrap file read whole, the same bound the image reader uses. */
const MAX_BOOTSTRAP_FILE = 1 << 30;

async function readWholeFile(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > MAX_BOOTSTRAP_FILE) {
      throw new ImageError('target', `${path}: ${size} bytes is over the ${MAX_BOOTSTRAP_FILE}-byte bootstrap limit`);
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function notNydus(path: string, cause: unknown, what?: string): NydusifyError {
  const detail = what ?? (cause instanceof Error ? cause.message : 'unreadable');
  return new ImageError('target', `${path} is not a Nydus bootstrap or data blob: ${detail}`, {
    cause,
    hint: 'give a RAFS v6 bootstrap (image.boot), a data blob with an inlined bootstrap, or an image reference',
  });
}
