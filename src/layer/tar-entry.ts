/**
 * From a raw header plus its PAX records and GNU long names to a TarEntry.
 *
 * Precedence for the path (and likewise the link target): PAX `path` >
 * GNU `L` long name > ustar `prefix/name`. Global PAX records (`g`) apply to
 * every later entry; per-entry records (`x`) override them.
 */

import { LayerError } from '../errors.js';
import { fromByteString } from '../tree/types.js';
import type { PaxFields } from './pax-fields.js';
import type { RawHeader } from './tar-header.js';
import { normalisePath } from './tar-path.js';
import type { TarEntry, TarEntryType } from './tar-types.js';

/** TypeflagKind is what a typeflag asks the reader to do. */
export type TypeflagKind =
  | TarEntryType
  | 'pax'
  | 'pax-global'
  | 'gnu-long-name'
  | 'gnu-long-link'
  | 'gnu-sparse'
  | 'unknown';

const TYPEFLAGS: ReadonlyMap<string, TypeflagKind> = new Map<string, TypeflagKind>([
  ['0', 'file'],
  ['\0', 'file'],
  // '7' is "contiguous file", a regular file everywhere that matters.
  ['7', 'file'],
  ['1', 'hardlink'],
  ['2', 'symlink'],
  ['3', 'char'],
  ['4', 'block'],
  ['5', 'dir'],
  ['6', 'fifo'],
  ['x', 'pax'],
  ['g', 'pax-global'],
  ['L', 'gnu-long-name'],
  ['K', 'gnu-long-link'],
  ['S', 'gnu-sparse'],
]);

/** Maps a typeflag character to what it means. */
export function classifyTypeflag(flag: string): TypeflagKind {
  return TYPEFLAGS.get(flag) ?? 'unknown';
}

/** Returns a typeflag printable for messages: the character, or its hex code. */
export function showTypeflag(flag: string): string {
  const code = flag.charCodeAt(0);
  return code > 0x20 && code < 0x7f ? `'${flag}'` : `0x${code.toString(16).padStart(2, '0')}`;
}

/** EntryOverrides are the long names read from GNU `L`/`K` entries before a header. */
export interface EntryOverrides {
  longName: string | null;
  longLink: string | null;
}

/** EntryFields is a TarEntry without its body. */
export type EntryFields = Omit<TarEntry, 'body'>;

/** Returns the path as stored (before normalisation), after PAX and GNU overrides. */
export function storedPath(h: RawHeader, pax: PaxFields, over: EntryOverrides): string {
  return pax.path ?? over.longName ?? h.name;
}

/**
 * Builds the entry fields for header `h` of kind `type`; throws LayerError for a
 * path or hardlink target that climbs out of the root.
 */
export function resolveEntry(
  h: RawHeader,
  type: TarEntryType,
  pax: PaxFields,
  over: EntryOverrides,
  layer: string,
): EntryFields {
  const rawPath = storedPath(h, pax, over);
  const rawLink = pax.linkpath ?? over.longLink ?? h.linkname;
  const shown = fromByteString(rawPath);
  // Pre-POSIX tars mark directories only by a trailing slash on a NUL typeflag.
  if (h.typeflag === '\0' && rawPath.endsWith('/')) type = 'dir';
  const path = normalisePath(rawPath);
  if (path === null) throw new LayerError(layer, shown, 'path climbs out of the root');
  if (path === '' && type !== 'dir') {
    throw new LayerError(layer, shown, `names the root but is a ${type}, not a directory`);
  }
  const device = type === 'char' || type === 'block';
  return {
    path,
    type,
    perm: h.mode & 0o7777,
    uid: pax.uid ?? h.uid,
    gid: pax.gid ?? h.gid,
    mtime: pax.mtime ?? h.mtime,
    size: type === 'file' ? (pax.size ?? h.size) : 0,
    linkTarget: linkTarget(type, rawLink, shown, layer),
    devMajor: device ? h.devMajor : 0,
    devMinor: device ? h.devMinor : 0,
    xattrs: pax.xattrs,
    uname: pax.uname ?? h.uname,
    gname: pax.gname ?? h.gname,
  };
}

function linkTarget(type: TarEntryType, rawLink: string, shown: string, layer: string): string {
  if (type === 'symlink') return rawLink;
  if (type !== 'hardlink') return '';
  const target = normalisePath(rawLink);
  const link = fromByteString(rawLink);
  if (target === null) {
    throw new LayerError(layer, shown, `hardlink target ${link} climbs out of the root`);
  }
  if (target === '') throw new LayerError(layer, shown, `hardlink target '${link}' is the root`);
  return target;
}
