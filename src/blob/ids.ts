/**
 * Reverse look-ups of the numeric compressor and digester ids in `types.ts`, with
 * errors that name where a bad id was found.
 */
import { FormatError } from '../errors.js';
import { COMPRESSION_ID, DIGEST_ID, type Compressor, type Digester } from './types.js';

/** compressorOfId maps a compression id to its name; gzip (2) is not supported. */
export function compressorOfId(id: number, struct: string, field: string, at?: number): Compressor {
  for (const [name, v] of Object.entries(COMPRESSION_ID)) if (v === id) return name as Compressor;
  throw new FormatError(struct, field, `unsupported compressor id 0x${id.toString(16)}`, at);
}

/** digesterOfId maps a digest id to its name. */
export function digesterOfId(id: number, struct: string, field: string, at?: number): Digester {
  for (const [name, v] of Object.entries(DIGEST_ID)) if (v === id) return name as Digester;
  throw new FormatError(struct, field, `unsupported digester id 0x${id.toString(16)}`, at);
}
