/**
 * Opening a layer blob as a plain tar stream.
 *
 * Steps: (1) pull chunks until SNIFF_BYTES are in hand, (2) pick the decoder from
 * the magic bytes, (3) replay the peeked chunks and the rest of the source into
 * it, (4) guard the output: a size limit, and every failure turned into a
 * LayerError that names the layer. Nothing is buffered beyond a chunk or two.
 */

import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LayerError, NydusifyError } from '../errors.js';
import { sniffCompression, SNIFF_BYTES, type LayerCompression } from './sniff.js';
import { zstdDecompress, ZstdTruncatedError } from './zstd-stream.js';

/**
 * DEFAULT_MAX_LAYER_BYTES caps a layer's uncompressed size. A decompression
 * bomb costs no memory here (output is pulled), but it would fill the work
 * directory with chunks; 256 GiB is far beyond any real image layer. A ratio
 * limit is not used: layers with large zero-filled files compress beyond
 * 1000:1 with zstd and are legitimate.
 */
export const DEFAULT_MAX_LAYER_BYTES = 256 * 1024 ** 3;

/** OpenLayerOptions tunes `openLayer`. */
export interface OpenLayerOptions {
  /** Uncompressed bytes allowed before the layer is refused (DEFAULT_MAX_LAYER_BYTES). */
  maxBytes?: number;
}

/**
 * Returns the uncompressed tar stream of a layer blob: gzip (all concatenated
 * members), zstd (all frames) or plain, told apart by magic bytes. A zero-byte
 * blob gives an empty stream. Corrupt or truncated data makes the returned
 * stream fail with a LayerError naming `layer`.
 */
export async function openLayer(
  raw: Readable,
  layer: string,
  opts: OpenLayerOptions = {},
): Promise<Readable> {
  const source = tagged(raw, layer)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let have = 0;
  try {
    while (have < SNIFF_BYTES) {
      const next = await source.next();
      if (next.done) break;
      head.push(next.value);
      have += next.value.length;
    }
  } catch (err) {
    raw.destroy();
    throw err;
  }
  const kind = sniffCompression(Buffer.concat(head));
  const input = replay(head, source);
  const limit = opts.maxBytes ?? DEFAULT_MAX_LAYER_BYTES;
  return Readable.from(guard(decode(kind, input), layer, kind, limit), { objectMode: false });
}

function decode(kind: LayerCompression, input: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  switch (kind) {
    case 'gzip':
      return gunzip(input);
    case 'zstd':
      return zstdDecompress(input);
    case 'none':
      return input;
  }
}

/** Yields the peeked chunks, then the rest of the source. */
async function* replay(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  try {
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await rest.return?.();
  }
}

/** Reads the source, turning its failures into LayerErrors so they are not taken for corruption. */
async function* tagged(raw: Readable, layer: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of raw) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
  } catch (err) {
    if (err instanceof NydusifyError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new LayerError(layer, undefined, `reading blob failed: ${message}`, { cause: err });
  }
}

/** Runs zlib's gunzip, which reads every concatenated member, over an async source. */
async function* gunzip(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const inflater = createGunzip();
  const source = Readable.from(input, { objectMode: false });
  source.on('error', (err) => inflater.destroy(err));
  source.pipe(inflater);
  try {
    for await (const chunk of inflater) yield chunk as Buffer;
  } finally {
    source.destroy();
    inflater.destroy();
  }
}

/** Enforces the size limit and names the layer in every failure. */
async function* guard(
  decoded: AsyncIterable<Buffer>,
  layer: string,
  kind: LayerCompression,
  limit: number,
): AsyncGenerator<Buffer> {
  let total = 0;
  try {
    for await (const chunk of decoded) {
      total += chunk.length;
      if (total > limit) {
        throw new LayerError(layer, undefined, `uncompressed size exceeds ${limit} bytes`);
      }
      yield chunk;
    }
  } catch (err) {
    if (err instanceof NydusifyError) throw err;
    const what = err instanceof ZstdTruncatedError ? 'truncated' : 'corrupt';
    const message = err instanceof Error ? err.message : String(err);
    throw new LayerError(layer, undefined, `${what} ${kind} data: ${message}`, { cause: err });
  }
}
