/**
 * The data of one tar entry, streamed straight from the archive.
 */

import type { ByteReader } from './byte-reader.js';
import { BLOCK_SIZE } from './tar-header.js';

/** Returns how many zero bytes pad `size` data bytes to a whole block. */
export function blockPadding(size: number): number {
  const tail = size % BLOCK_SIZE;
  return tail === 0 ? 0 : BLOCK_SIZE - tail;
}

/**
 * EntryBody yields exactly `size` bytes from the shared reader. `finish()` skips
 * whatever the consumer left unread plus the block padding, and makes any later
 * read fail: the reader has moved on, so those bytes are gone.
 */
export class EntryBody implements AsyncIterable<Buffer> {
  private remaining: number;
  private finished = false;
  /** True once `finish()` skipped bytes the consumer had not read. */
  private abandoned = false;

  constructor(
    private readonly reader: ByteReader,
    private readonly size: number,
    private readonly fail: (detail: string) => Error,
  ) {
    this.remaining = size;
  }

  /** Streams the unread part of the body. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.abandoned) throw this.fail('body read after the next entry was requested');
      if (this.remaining === 0) return;
      const chunk = await this.reader.chunk(this.remaining);
      if (chunk === null) {
        const missing = `${this.remaining} of ${this.size} body bytes missing`;
        throw this.fail(`unexpected end of data: ${missing}`);
      }
      // Count before yielding: a consumer that stops after this chunk has read it.
      this.remaining -= chunk.length;
      yield chunk;
    }
  }

  /** Skips the unread rest and the padding; the reader then sits at the next header. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const left = this.remaining;
    this.abandoned = left > 0;
    this.remaining = 0;
    await this.reader.skip(left + blockPadding(this.size));
  }
}
