/**
 * What the tar reader hands out: entries, warnings and options.
 */

import type { EntryMeta } from '../tree/types.js';

/** TarEntryType is the kind of a tar entry: a file type, or a hardlink to an earlier entry. */
export type TarEntryType = EntryMeta['type'];

/** TarEntry is one file system object read from a layer tar. */
export interface TarEntry extends EntryMeta {
  /** Owner names from the header or PAX, byte strings; informational only. */
  uname: string;
  gname: string;
  /**
   * Exactly `size` data bytes, streamed from the archive. Read it at most once,
   * before asking for the next entry; an unread rest is skipped when the next
   * entry is requested, and reading after that throws. Chunks are views into
   * the input's buffers: copy one to keep it beyond the next read.
   */
  body: AsyncIterable<Buffer>;
}

/** LayerWarningCode names a recoverable oddity found in a layer. */
export type LayerWarningCode =
  /** An entry with a typeflag this reader does not know was skipped, with its data. */
  | 'TAR_UNKNOWN_TYPE'
  /** A GNU sparse file (typeflag `S` or `GNU.sparse.*` PAX keys) was skipped. */
  | 'TAR_SPARSE_SKIPPED'
  /** Non-zero bytes follow the end-of-archive marker; they were ignored. */
  | 'TAR_TRAILING_DATA';

/**
 * LayerWarning reports something the reader recovered from. The entry it names
 * is not in the output. To fail instead (a `--strict` mode), throw from
 * `onWarning`; the error ends the iteration.
 */
export interface LayerWarning {
  code: LayerWarningCode;
  layer: string;
  /** The entry's path as stored, when the warning is about one entry. */
  entry?: string;
  message: string;
}

/** ReadTarOptions tunes `readTar`. */
export interface ReadTarOptions {
  /** Receives recoverable problems; without it they are dropped silently. */
  onWarning?(warning: LayerWarning): void;
}
