/**
 * The layer reader: from a compressed layer blob to a stream of tar entries.
 *
 * `openLayer` undoes gzip/zstd (decided by magic bytes), `readTar` parses the tar
 * with normalised paths and raw xattr bytes.
 */

export { openLayer, DEFAULT_MAX_LAYER_BYTES, type OpenLayerOptions } from './decompress.js';
export { sniffCompression, type LayerCompression } from './sniff.js';
export { readTar, MAX_META_ENTRY_SIZE } from './tar.js';
export type {
  LayerWarning,
  LayerWarningCode,
  ReadTarOptions,
  TarEntry,
  TarEntryType,
} from './tar-types.js';
