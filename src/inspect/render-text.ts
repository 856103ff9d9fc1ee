/**
 * The text form of `inspect`: a superblock summary, the blob table, and an
 * `ls -l`-style listing of every path; or, for `--path`, one entry in full.
 * Every name has already been made safe by the report (see display.ts).
 */
import { formatBytes } from '../cli/report.js';
import { displayBytes, formatTime, octalPerm } from './display.js';
import type { EntryDetail } from './entry.js';
import type { BlobSummary, EntrySummary, InspectReport, SuperblockSummary } from './report.js';

/** renderReport renders a whole report as lines of text (no trailing newline). */
export function renderReport(report: InspectReport): string {
  return [
    ...renderSuperblock(report),
    '',
    ...renderBlobs(report.blobs),
    '',
    'tree:',
    ...renderListing(report.entries),
  ].join('\n');
}

function hexNum(n: number): string {
  return `0x${n.toString(16)}`;
}

function renderSuperblock(report: InspectReport): string[] {
  const sb: SuperblockSummary = report.superblock;
  const { input } = report;
  const nids = sb.prefetch;
  const prefetch = nids.length === 0 ? 'none' : `${nids.length} nids (${nids.join(', ')})`;
  return labelled([
    ['input', `${input.name} (${input.kind}; bootstrap of ${input.bootstrapSize} bytes)`],
    ['format', `RAFS v6, root nid ${sb.rootNid}, meta block ${sb.metaBlkaddr}, ${sb.blocks} blob blocks`],
    ['inodes', `${sb.inodes} (s_inos), ${sb.distinctInodes} distinct reached from the root`],
    ['chunk size', `${hexNum(sb.chunkSize)} (${formatBytes(sb.chunkSize)})`],
    ['flags', `${hexNum(sb.flags)} (${sb.flagNames.join(', ')})`],
    ['compressor', sb.compressor],
    ['digester', sb.digester],
    ['blobs', String(sb.blobCount)],
    ['chunk table', `${sb.chunkTableEntries} entries`],
    ['prefetch', prefetch],
  ]);
}

function labelled(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`);
}

function renderBlobs(blobs: BlobSummary[]): string[] {
  if (blobs.length === 0) return ['blob table: empty (the image has no file data)'];
  const rows = blobs.map((b) => [
    String(b.index),
    b.device,
    b.blobId,
    String(b.compressedSize),
    String(b.uncompressedSize),
    String(b.chunkCount),
    `${b.compressor}/${b.digester}`,
    `${hexNum(b.features)} (${b.featureNames.join(', ')})`,
  ]);
  const head = ['#', 'DEVICE', 'BLOB ID', 'COMPRESSED', 'UNCOMPRESSED', 'CHUNKS', 'ALGORITHMS', 'FEATURES'];
  return ['blob table:', ...columns([head, ...rows], [false, false, false, true, true, true, false, false])];
}

/** columns pads each column to its widest cell; `right` aligns numbers. */
function columns(rows: string[][], right: boolean[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const pad = (cell: string, c: number): string =>
    right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!);
  return rows.map((r) => r.map(pad).join('  ').trimEnd());
}

/** renderListing renders entries as `ls -l` does, one line per path, with full paths. */
export function renderListing(entries: EntrySummary[]): string[] {
  const rows = entries.map((e) => [
    e.mode,
    String(e.nlink),
    String(e.uid),
    String(e.gid),
    e.rdev === undefined ? String(e.size) : `${e.rdev.major}, ${e.rdev.minor}`,
    formatTime(e.mtime),
    e.linkTarget === undefined ? displayPath(e) : `${displayPath(e)} -> ${displayTarget(e)}`,
  ]);
  return columns(rows, [false, true, true, true, true, false, false]);
}

/** In text, escape again: JSON may carry control characters a terminal must not get. */
function displayPath(e: EntrySummary): string {
  return e.pathHex === undefined ? displayBytes(Buffer.from(e.path, 'utf8').toString('latin1')) : e.path;
}

function displayTarget(e: EntrySummary): string {
  const t = e.linkTarget ?? '';
  return e.linkTargetHex === undefined ? displayBytes(Buffer.from(t, 'utf8').toString('latin1')) : t;
}

/** renderEntry renders one entry with its inode fields, xattrs and chunks. */
export function renderEntry(e: EntryDetail): string {
  const rows: [string, string][] = [
    ['path', displayPath(e)],
    ['type', e.type],
    ['mode', `${e.mode} (${octalPerm(e.perm)})`],
    ['links', String(e.nlink)],
    ['uid', String(e.uid)],
    ['gid', String(e.gid)],
    ['size', String(e.size)],
    ['mtime', `${formatTime(e.mtime)} UTC (${e.mtime})`],
  ];
  if (e.linkTarget !== undefined) rows.push(['target', displayTarget(e)]);
  if (e.rdev !== undefined) rows.push(['rdev', `${e.rdev.major}, ${e.rdev.minor}`]);
  rows.push(['xattrs', e.xattrs.length === 0 ? 'none' : String(e.xattrs.length)]);
  const lines = labelled(rows);
  for (const x of e.xattrs) {
    lines.push(`  ${x.nameHex === undefined ? x.name : `0x${x.nameHex}`} = ${x.value}`);
  }
  lines.push(...renderChunks(e));
  return lines.join('\n');
}

function renderChunks(e: EntryDetail): string[] {
  if (e.type !== 'file') return [];
  if (e.chunks.length === 0) return ['chunks: none'];
  const head = ['#', 'BLOB', 'CHUNK', 'C.OFFSET', 'C.SIZE', 'U.OFFSET', 'U.SIZE', 'DIGEST'];
  const rows = e.chunks.map((c) => [
    String(c.fileIndex),
    `${c.blobIndex} (${c.blobId.slice(0, 12)})`,
    String(c.chunkIndex),
    hexNum(c.compressedOffset),
    hexNum(c.compressedSize) + (c.compressed ? '' : ' stored'),
    hexNum(c.uncompressedOffset),
    hexNum(c.uncompressedSize),
    c.digest,
  ]);
  const right = [true, false, true, true, false, true, true, false];
  return [`chunks: ${e.chunks.length}`, ...columns([head, ...rows], right).map((l) => `  ${l}`)];
}
