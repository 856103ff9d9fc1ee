/**
 * Finds the sections of a native blob by walking its trailing tar headers backwards
 * (format doc §3.5): the header at end − 512 names the `size` bytes just before it,
 * and the previous header ends right where that data begins.
 */
import { NydusifyError } from '../errors.js';
import { decodeTarHeader, TAR_HEADER_SIZE, type TarHeader } from './tar-header.js';

/** BlobSection is one tar-delimited section of a blob. */
export interface BlobSection {
  name: string;
  /** Offset of the section's data in the blob. */
  dataOffset: number;
  size: number;
  /** Offset of the 512-byte header that follows the data. */
  headerOffset: number;
}

/** ReadAt reads exactly `length` bytes at `position` of the blob. */
export type ReadAt = (position: number, length: number) => Promise<Buffer>;

/**
 * walkSections returns the sections in file order. The walk stops at offset 0 or at
 * the first 512 bytes that are not a valid header, which is where chunk data of a
 * layout without an `image.blob` header begins; a blob with no trailing header at
 * all gives an empty list. A header whose size reaches before offset 0 ends the walk
 * the same way, since such bytes cannot be a section header.
 */
export async function walkSections(readAt: ReadAt, blobSize: number): Promise<BlobSection[]> {
  const found: BlobSection[] = [];
  let end = blobSize;
  while (end >= TAR_HEADER_SIZE) {
    const headerOffset = end - TAR_HEADER_SIZE;
    const header = tryDecode(await readAt(headerOffset, TAR_HEADER_SIZE), headerOffset);
    if (header === undefined || header.size > headerOffset) break;
    const dataOffset = headerOffset - header.size;
    found.push({ name: header.name, dataOffset, size: header.size, headerOffset });
    end = dataOffset;
  }
  return found.reverse();
}

/** tryDecode returns the header, or undefined when the bytes are not one. */
function tryDecode(buf: Buffer, at: number): TarHeader | undefined {
  try {
    return decodeTarHeader(buf, at);
  } catch (err) {
    if (err instanceof NydusifyError && err.code === 'ERR_FORMAT') return undefined;
    throw err;
  }
}
