/**
 * Paths and small readers for the shared nydus fixtures, for tests only. The files
 * live outside the repository (`../shared/fixtures`), resolved from this file.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** FIXTURE_BLOB_ID names the native blob fixture (blob-toc, not inline). */
export const FIXTURE_BLOB_ID = 'be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef';
/** FIXTURE_INLINE_ID names the blob fixture with an inlined bootstrap. */
export const FIXTURE_INLINE_ID = '2fa78cad554b75ac91a4a125ed148d0ddeb25efa4aaa8bd80e5dc292690a4dca';

/** fixturePath resolves a path under `shared/fixtures/nydus`. */
export function fixturePath(rel: string): string {
  return fileURLToPath(new URL(`../../../shared/fixtures/nydus/${rel}`, import.meta.url));
}

/** FIXTURE_BLOB is the path of the native blob fixture. */
export const FIXTURE_BLOB = fixturePath(`blobs/${FIXTURE_BLOB_ID}`);
/** FIXTURE_INLINE is the path of the inline-bootstrap blob fixture. */
export const FIXTURE_INLINE = fixturePath(`inline-blob/${FIXTURE_INLINE_ID}`);

/** fixtureBytes returns `length` bytes at `offset` of a fixture file. */
export function fixtureBytes(path: string, offset: number, length: number): Buffer {
  return readFileSync(path).subarray(offset, offset + length);
}

/**
 * sparseHex builds a zero-filled buffer of `size` bytes with hex strings placed at
 * the given offsets: a readable way to spell a mostly-zero golden struct.
 */
export function sparseHex(size: number, parts: Record<number, string>): Buffer {
  const buf = Buffer.alloc(size);
  for (const [off, hex] of Object.entries(parts)) Buffer.from(hex.replace(/\s+/g, ''), 'hex').copy(buf, Number(off));
  return buf;
}
