/**
 * Telling a layer's compression from its first bytes.
 *
 * Media types lie often enough (Docker v2 `…tar.gzip` on plain tars, zstd layers
 * under gzip types from early builders) that the bytes are the only safe guide.
 */

/** LayerCompression is how a layer's tar stream is compressed. */
export type LayerCompression = 'gzip' | 'zstd' | 'none';

/** GZIP_MAGIC starts every gzip member (RFC 1952 ID1, ID2). */
export const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
/** ZSTD_MAGIC starts every zstd frame (0xFD2FB528, little-endian). */
export const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/** SNIFF_BYTES is how many leading bytes `sniffCompression` needs to decide. */
export const SNIFF_BYTES = ZSTD_MAGIC.length;

/**
 * Returns the compression of a stream that starts with `head`. Pass at least
 * SNIFF_BYTES bytes unless the stream is shorter; anything without a known
 * magic number is taken to be a plain tar.
 */
export function sniffCompression(head: Buffer): LayerCompression {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

function startsWith(head: Buffer, magic: Buffer): boolean {
  return head.length >= magic.length && head.subarray(0, magic.length).equals(magic);
}
