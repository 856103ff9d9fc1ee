/**
 * ByteReader pulls exact byte counts out of an async stream of chunks of any size.
 *
 * The tar reader needs "exactly 512 bytes", "the next n body bytes, as they come"
 * and "skip n bytes"; the chunks it is fed can be 1 byte or 1 MiB. The reader
 * keeps only the unread tail of the current chunk, so memory stays bounded by the
 * largest chunk the source yields, whatever the size of the data passing through.
 */

const EMPTY = Buffer.alloc(0);

/** ShortReadFactory makes the error thrown when the input ends too early. */
export type ShortReadFactory = (detail: string) => Error;

/** ByteSource is anything that yields byte chunks: a stream, a generator, an array. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** ByteReader reads exact amounts from an `AsyncIterable<Buffer>`, pull-based. */
export class ByteReader {
  private readonly source: AsyncIterator<Uint8Array>;
  private pending: Buffer = EMPTY;
  private ended = false;
  private consumed = 0;

  /**
   * Creates a reader over `input`. `shortRead` builds the error for input that
   * ends inside a `readExact`, `chunk` or `skip` request.
   */
  constructor(
    input: ByteSource,
    private readonly shortRead: ShortReadFactory,
  ) {
    this.source = Symbol.asyncIterator in input ? input[Symbol.asyncIterator]() : fromSync(input);
  }

  /** Number of bytes handed out or skipped so far (the offset of the next byte). */
  get position(): number {
    return this.consumed;
  }

  /**
   * Returns up to `max` bytes from the current chunk without copying, pulling a
   * new chunk when the current one is used up; null at the end of the input.
   */
  async chunk(max: number): Promise<Buffer | null> {
    if (max <= 0) return EMPTY;
    if (!(await this.fill())) return null;
    const take = Math.min(max, this.pending.length);
    const out = this.pending.subarray(0, take);
    this.pending = this.pending.subarray(take);
    this.consumed += take;
    return out;
  }

  /**
   * Reads up to `n` bytes into one buffer. The result is shorter than `n` only
   * at the end of the input (empty when the input had already ended).
   */
  async read(n: number): Promise<Buffer> {
    const first = await this.chunk(n);
    if (first === null) return EMPTY;
    if (first.length === n) return first;
    // The request spans chunks: copy, so the caller gets one contiguous buffer.
    const parts = [first];
    let have = first.length;
    while (have < n) {
      const next = await this.chunk(n - have);
      if (next === null) break;
      parts.push(next);
      have += next.length;
    }
    return Buffer.concat(parts, have);
  }

  /** Reads exactly `n` bytes, or throws the short-read error. */
  async readExact(n: number): Promise<Buffer> {
    const out = await this.read(n);
    if (out.length < n) {
      throw this.shortRead(`unexpected end of data: wanted ${n} bytes, got ${out.length}`);
    }
    return out;
  }

  /** Discards exactly `n` bytes, or throws the short-read error. */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const next = await this.chunk(left);
      if (next === null) {
        throw this.shortRead(`unexpected end of data: ${left} of ${n} bytes missing`);
      }
      left -= next.length;
    }
  }

  /** Discards the rest of the input; returns whether any of it was non-zero. */
  async drain(): Promise<boolean> {
    let nonZero = false;
    for (;;) {
      const next = await this.chunk(Number.MAX_SAFE_INTEGER);
      if (next === null) return nonZero;
      if (!nonZero && next.some((b) => b !== 0)) nonZero = true;
    }
  }

  /** Stops the source early (it may hold a file or socket open). */
  async close(): Promise<void> {
    this.pending = EMPTY;
    if (!this.ended) {
      this.ended = true;
      await this.source.return?.();
    }
  }

  /** Makes `pending` non-empty; false at the end of the input. */
  private async fill(): Promise<boolean> {
    while (this.pending.length === 0) {
      if (this.ended) return false;
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      const value = next.value;
      this.pending = Buffer.isBuffer(value)
        ? value
        : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
    return true;
  }
}

async function* fromSync(input: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* input;
}
