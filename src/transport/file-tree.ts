/**
 * FileTree: read-only access to named files, whether they sit in a directory or
 * inside a tar. The OCI layout reader runs on either, so `oci:` and `oci-archive:`
 * share one implementation, and the docker archive reader uses the tar one.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { ImageError } from '../errors.js';
import { TarIndex } from './tar-index.js';

/** FileTree reads files by slash-separated relative name. */
export interface FileTree {
  /** Where the files are, for messages. */
  readonly location: string;
  /** size returns a file's size, or undefined when it does not exist. */
  size(name: string): Promise<number | undefined>;
  /** readAll returns a file's bytes, refusing files over `limit` bytes. */
  readAll(name: string, limit: number): Promise<Buffer>;
  /** stream opens a file for reading. */
  stream(name: string): Promise<Readable>;
  /** head returns up to the first `length` bytes of a file, for sniffing. */
  head(name: string, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Refuses names that could leave the tree; our names come from digests and JSON. */
function checkName(name: string, location: string): string {
  const norm = posix.normalize(name);
  if (norm.startsWith('../') || norm === '..' || posix.isAbsolute(norm)) {
    throw new ImageError('source', `${location}: file name ${JSON.stringify(name)} leaves the image`);
  }
  return norm;
}

/**
 * missingRoot reports that the image path itself is absent. Since references split
 * at the first ':', a path with a ':' in it arrives cut short; the hint says so.
 */
export function missingRoot(location: string): ImageError {
  return new ImageError('source', `${location} does not exist`, {
    hint: 'check the path; a path cannot contain ":" (the reference splits at the first one)',
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

function missing(location: string, name: string): ImageError {
  return new ImageError('source', `${location}: ${name} is missing`);
}

function tooLarge(location: string, name: string, size: number, limit: number): ImageError {
  return new ImageError('source', `${location}: ${name} is ${size} bytes, over the ${limit}-byte limit`);
}

/** DirTree serves files below a directory. */
export class DirTree implements FileTree {
  constructor(readonly location: string) {}

  async size(name: string): Promise<number | undefined> {
    try {
      const st = await stat(join(this.location, checkName(name, this.location)));
      return st.isFile() ? st.size : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (!(await exists(this.location))) throw missingRoot(this.location);
      return undefined;
    }
  }

  async readAll(name: string, limit: number): Promise<Buffer> {
    const size = await this.size(name);
    if (size === undefined) throw missing(this.location, name);
    if (size > limit) throw tooLarge(this.location, name, size, limit);
    const handle = await open(join(this.location, checkName(name, this.location)), 'r');
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  async stream(name: string): Promise<Readable> {
    if ((await this.size(name)) === undefined) throw missing(this.location, name);
    return createReadStream(join(this.location, checkName(name, this.location)));
  }

  async head(name: string, length: number): Promise<Buffer> {
    if ((await this.size(name)) === undefined) throw missing(this.location, name);
    const handle = await open(join(this.location, checkName(name, this.location)), 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async close(): Promise<void> {}
}

/** TarTree serves the members of a tar file, indexed once on first use. */
export class TarTree implements FileTree {
  private index?: Promise<TarIndex>;

  constructor(readonly location: string) {}

  private tar(): Promise<TarIndex> {
    this.index ??= TarIndex.open(this.location).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? missingRoot(this.location) : err;
    });
    return this.index;
  }

  async size(name: string): Promise<number | undefined> {
    return (await this.tar()).lookup(checkName(name, this.location))?.size;
  }

  async readAll(name: string, limit: number): Promise<Buffer> {
    const tar = await this.tar();
    const member = tar.lookup(checkName(name, this.location));
    if (member === undefined) throw missing(this.location, name);
    if (member.size > limit) throw tooLarge(this.location, name, member.size, limit);
    return tar.read(member);
  }

  async stream(name: string): Promise<Readable> {
    const tar = await this.tar();
    const member = tar.lookup(checkName(name, this.location));
    if (member === undefined) throw missing(this.location, name);
    return tar.stream(member);
  }

  async head(name: string, length: number): Promise<Buffer> {
    const tar = await this.tar();
    const member = tar.lookup(checkName(name, this.location));
    if (member === undefined) throw missing(this.location, name);
    return tar.read({ ...member, size: Math.min(length, member.size) });
  }

  async close(): Promise<void> {
    const index = this.index;
    this.index = undefined;
    // An index that failed to open has no handle to release.
    const tar = await index?.catch(() => undefined);
    await tar?.close();
  }
}
