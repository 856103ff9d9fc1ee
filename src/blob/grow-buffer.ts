/**
 * GrowBuffer collects fixed-size records (CI entries, chunk digests) in one buffer
 * that doubles as it fills, so a million chunks cost a few contiguous megabytes
 * rather than a million small objects.
 */
export class GrowBuffer {
  private buf: Buffer;
  /** Bytes in use. */
  length = 0;

  constructor(initial = 4096) {
    this.buf = Buffer.alloc(initial);
  }

  /** reserve makes room for `n` more bytes and returns the offset they start at. */
  reserve(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  /** append copies `data` to the end. */
  append(data: Uint8Array): void {
    const at = this.reserve(data.length);
    this.buf.set(data, at);
  }

  /** raw is the backing buffer; valid until the next reserve or append. */
  get raw(): Buffer {
    return this.buf;
  }

  /** bytes returns the bytes in use (a view, valid until the next reserve). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
