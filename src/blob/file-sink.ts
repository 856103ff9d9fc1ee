/**
 * FileSink writes a file strictly in order while tracking its length and sha256, so
 * the layer digest is known the moment the last byte is written.
 *
 * Small writes (tar headers, small chunks) are gathered in a staging buffer; every
 * flush awaits the file system, which is the back-pressure: a producer that awaits
 * `write` never holds more than the staging buffer plus the piece it passed in.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';

/** STAGING_SIZE is how many bytes of small writes are gathered before a flush. */
export const STAGING_SIZE = 1 << 20;

/** FileSink is an append-only, hashing file writer. */
export class FileSink {
  /** Bytes accepted so far: the offset the next write lands at. */
  position = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly staging = Buffer.allocUnsafe(STAGING_SIZE);
  private staged = 0;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    /** The path the sink writes. */
    readonly path: string,
  ) {}

  /** create opens `path` for writing, truncating any existing file. */
  static async create(path: string): Promise<FileSink> {
    return new FileSink(await open(path, 'w'), path);
  }

  /** write appends `buf`; the caller may reuse `buf` once the promise resolves. */
  async write(buf: Uint8Array): Promise<void> {
    this.hash.update(buf);
    this.position += buf.length;
    if (this.staged + buf.length <= STAGING_SIZE) {
      this.staging.set(buf, this.staged);
      this.staged += buf.length;
      return;
    }
    await this.flush();
    if (buf.length < STAGING_SIZE) {
      this.staging.set(buf, 0);
      this.staged = buf.length;
    } else {
      await this.writeFully(buf);
    }
  }

  private async flush(): Promise<void> {
    if (this.staged === 0) return;
    await this.writeFully(this.staging.subarray(0, this.staged));
    this.staged = 0;
  }

  private async writeFully(buf: Uint8Array): Promise<void> {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.handle.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
  }

  /**
   * digestSoFar returns the sha256 of everything written so far and keeps hashing:
   * a section that starts at offset 0 gets its digest without a second pass.
   */
  digestSoFar(): Buffer {
    return this.hash.copy().digest();
  }

  /** close flushes, closes the file and returns the sha256 of everything written. */
  async close(): Promise<Buffer> {
    await this.flush();
    this.closed = true;
    await this.handle.close();
    return this.hash.digest();
  }

  /** abort closes the file, if still open, and deletes it. */
  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
    await rm(this.path, { force: true });
  }
}
