/**
 * A streaming, pull-based tar reader for image layers.
 *
 * Written for layers rather than general archives: it hands out file system
 * objects with normalised paths and raw xattr bytes, and keeps at most one input
 * chunk plus one metadata entry (≤ MAX_META_ENTRY_SIZE) in memory, whatever the
 * entry sizes. Supported: ustar, GNU (`L`/`K` long names, base-256 numbers) and
 * PAX (`x` and `g`) headers; see tar-entry.ts for field precedence.
 *
 * Skipped with a warning (entry and its data left out): unknown typeflags,
 * GNU sparse files (`S`, or PAX `GNU.sparse.*`). Failing with a LayerError: bad
 * checksums, malformed numbers or PAX records, paths or hardlink targets that
 * climb out of the root, metadata entries over the size limit, and input that
 * ends inside a header, body or padding.
 *
 * End of archive: two zero blocks, one zero block then end of input, the input
 * simply ending on a block boundary, or an empty input (an empty layer). Bytes
 * after the end marker are read and discarded, so that a digest-verifying
 * source sees its whole input; non-zero ones raise TAR_TRAILING_DATA.
 *
 * Entry data: regular files only. Like Go's archive/tar (which wrote most layers
 * in existence), header-only types (links, devices, dirs, fifos) are taken to
 * have no data in the archive whatever their size field says.
 */

import { FormatError, LayerError, NydusifyError } from '../errors.js';
import { fromByteString } from '../tree/types.js';
import { ByteReader, type ByteSource } from './byte-reader.js';
import { interpretPax, type PaxFields } from './pax-fields.js';
import { overlayPax, parsePaxRecords, type PaxRecords } from './pax.js';
import { blockPadding, EntryBody } from './tar-body.js';
import {
  classifyTypeflag,
  resolveEntry,
  showTypeflag,
  storedPath,
  type EntryOverrides,
  type TypeflagKind,
} from './tar-entry.js';
import {
  BLOCK_SIZE,
  cString,
  decodeHeader,
  GNU_SPARSE_EXT_ISEXTENDED_OFFSET,
  GNU_SPARSE_ISEXTENDED_OFFSET,
  isZeroBlock,
  type RawHeader,
} from './tar-header.js';
import type { LayerWarning, ReadTarOptions, TarEntry } from './tar-types.js';

/**
 * MAX_META_ENTRY_SIZE bounds a PAX or GNU long-name entry, which is buffered
 * whole; real ones are a few hundred bytes (xattrs included), so 1 MiB only
 * stops a hostile layer from making the reader allocate without limit.
 */
export const MAX_META_ENTRY_SIZE = 1024 * 1024;

const NO_RECORDS: PaxRecords = new Map();

/** EntryKind is a typeflag kind that describes an entry rather than metadata. */
type EntryKind = Exclude<TypeflagKind, 'pax' | 'pax-global' | 'gnu-long-name' | 'gnu-long-link'>;

/**
 * Reads the entries of a tar stream: any async or sync iterable of byte chunks,
 * such as a Readable. `layer` names the layer in errors and warnings. Iterate
 * with `for await`; read each entry's `body` (or leave it alone) before asking
 * for the next entry. Breaking out early stops `input`.
 */
export async function* readTar(
  input: ByteSource,
  layer: string,
  opts: ReadTarOptions = {},
): AsyncGenerator<TarEntry> {
  const parser = new TarParser(input, layer, opts);
  try {
    for (;;) {
      const entry = await parser.next();
      if (entry === null) return;
      yield entry;
    }
  } finally {
    await parser.close();
  }
}

/** TarParser holds the state between entries: the reader, pending metadata, the open body. */
class TarParser {
  private readonly reader: ByteReader;
  /** The entry that errors name; undefined between entries. */
  private current: string | undefined;
  private body: EntryBody | null = null;
  private global: PaxRecords = new Map();
  private local: PaxRecords | null = null;
  private over: EntryOverrides = { longName: null, longLink: null };
  /** True when a short, non-zero block follows the first end-of-archive zero block. */
  private partialTrailer = false;

  constructor(
    input: ByteSource,
    private readonly layer: string,
    private readonly opts: ReadTarOptions,
  ) {
    this.reader = new ByteReader(input, (detail) => new LayerError(layer, this.current, detail));
  }

  /** Returns the next entry, or null at the end of the archive. */
  async next(): Promise<TarEntry | null> {
    try {
      await this.body?.finish();
      this.body = null;
      for (;;) {
        this.current = undefined;
        const at = this.reader.position;
        const block = await this.headerBlock(at);
        if (block === null) return await this.end();
        const header = decodeHeader(block, at);
        const entry = await this.handle(header, block);
        if (entry !== null) return entry;
      }
    } catch (err) {
      throw this.wrap(err);
    }
  }

  /** Stops the input. */
  async close(): Promise<void> {
    await this.reader.close();
  }

  /** Reads a header block; null at the end of the archive. */
  private async headerBlock(at: number): Promise<Buffer | null> {
    const block = await this.reader.read(BLOCK_SIZE);
    if (block.length === 0) return null;
    if (block.length < BLOCK_SIZE) {
      const detail = `${block.length} of ${BLOCK_SIZE} bytes`;
      throw new LayerError(this.layer, undefined, `truncated header at ${atOffset(at)}: ${detail}`);
    }
    if (!isZeroBlock(block)) return block;
    const second = await this.reader.read(BLOCK_SIZE);
    if (second.length === BLOCK_SIZE && !isZeroBlock(second)) {
      // Go's archive/tar refuses this too: entries after it would be silently lost.
      const detail = `a lone zero block at ${atOffset(at)} is followed by more data`;
      throw new LayerError(this.layer, undefined, detail);
    }
    this.partialTrailer = !isZeroBlock(second);
    return null;
  }

  /** Dispatches on the typeflag; returns an entry, or null for metadata and skipped entries. */
  private async handle(h: RawHeader, block: Buffer): Promise<TarEntry | null> {
    const kind = classifyTypeflag(h.typeflag);
    switch (kind) {
      case 'pax':
        this.local = overlayPax(this.local ?? NO_RECORDS, await this.paxBody(h));
        return null;
      case 'pax-global':
        this.global = overlayPax(this.global, await this.paxBody(h));
        return null;
      case 'gnu-long-name':
        this.over.longName = await this.longName(h);
        return null;
      case 'gnu-long-link':
        this.over.longLink = await this.longName(h);
        return null;
      default:
        return this.entry(h, kind, block);
    }
  }

  /** Applies pending metadata to a real entry header and opens its body. */
  private async entry(h: RawHeader, kind: EntryKind, block: Buffer): Promise<TarEntry | null> {
    const over = this.over;
    // Named by its header until the PAX records, which may rename it, are read.
    this.current = fromByteString(over.longName ?? h.name);
    const pax = interpretPax(overlayPax(this.global, this.local ?? NO_RECORDS));
    this.local = null;
    this.over = { longName: null, longLink: null };
    const name = fromByteString(storedPath(h, pax, over));
    this.current = name;
    if (kind === 'gnu-sparse' || kind === 'unknown' || (kind === 'file' && pax.sparse)) {
      await this.skipEntry(h, kind, block, pax, name);
      return null;
    }
    const fields = resolveEntry(h, kind, pax, over, this.layer);
    const body = new EntryBody(this.reader, fields.size, (detail) => {
      return new LayerError(this.layer, name, detail);
    });
    this.body = body;
    return { ...fields, body };
  }

  /** Skips an entry this reader does not hand out, with a warning. */
  private async skipEntry(
    h: RawHeader,
    kind: EntryKind,
    block: Buffer,
    pax: PaxFields,
    name: string,
  ): Promise<void> {
    const sparse = kind !== 'unknown';
    this.warn({
      code: sparse ? 'TAR_SPARSE_SKIPPED' : 'TAR_UNKNOWN_TYPE',
      layer: this.layer,
      entry: name,
      message: sparse
        ? 'GNU sparse files are not supported; entry skipped'
        : `unknown typeflag ${showTypeflag(h.typeflag)}; entry skipped`,
    });
    if (kind === 'gnu-sparse' && h.format === 'gnu' && block[GNU_SPARSE_ISEXTENDED_OFFSET] !== 0) {
      await this.skipSparseExtensions();
    }
    const size = pax.size ?? h.size;
    await this.reader.skip(size + blockPadding(size));
  }

  /** Skips the old-GNU sparse map extension blocks that follow an `S` header. */
  private async skipSparseExtensions(): Promise<void> {
    for (;;) {
      const ext = await this.reader.readExact(BLOCK_SIZE);
      if (ext[GNU_SPARSE_EXT_ISEXTENDED_OFFSET] === 0) return;
    }
  }

  /** Reads a metadata entry's body whole, within MAX_META_ENTRY_SIZE. */
  private async metaBody(h: RawHeader): Promise<Buffer> {
    if (h.size > MAX_META_ENTRY_SIZE) {
      const kind = showTypeflag(h.typeflag);
      const detail = `${kind} metadata entry of ${h.size} bytes exceeds ${MAX_META_ENTRY_SIZE}`;
      throw new LayerError(this.layer, undefined, detail);
    }
    const data = await this.reader.readExact(h.size);
    await this.reader.skip(blockPadding(h.size));
    return data;
  }

  private async paxBody(h: RawHeader): Promise<PaxRecords> {
    const at = this.reader.position;
    return parsePaxRecords(await this.metaBody(h), at);
  }

  private async longName(h: RawHeader): Promise<string> {
    const data = await this.metaBody(h);
    return cString(data, 0, data.length);
  }

  /** Finishes the archive: no dangling metadata; trailing bytes drained. */
  private async end(): Promise<null> {
    if (this.local !== null || this.over.longName !== null || this.over.longLink !== null) {
      throw new LayerError(this.layer, undefined, 'archive ends after a metadata entry');
    }
    const trailing = (await this.reader.drain()) || this.partialTrailer;
    if (trailing) {
      this.warn({
        code: 'TAR_TRAILING_DATA',
        layer: this.layer,
        message: 'non-zero bytes after the end-of-archive marker were ignored',
      });
    }
    return null;
  }

  private warn(warning: LayerWarning): void {
    this.opts.onWarning?.(warning);
  }

  /** Gives every failure the layer and entry context. */
  private wrap(err: unknown): NydusifyError {
    if (err instanceof FormatError) {
      return new LayerError(this.layer, this.current, err.message, { cause: err });
    }
    if (err instanceof NydusifyError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new LayerError(this.layer, this.current, `read failed: ${message}`, { cause: err });
  }
}

function atOffset(offset: number): string {
  return `offset 0x${offset.toString(16)}`;
}
