/**
 * Content digests: computing `sha256:<hex>`, checking the syntax of a digest string,
 * and a stream wrapper that checks size and digest while the bytes pass through.
 *
 * Only sha256 is accepted. The OCI spec also registers sha512, but no registry or
 * tool in our path writes it; a sha512 descriptor is reported, never guessed at.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { DigestMismatchError, FormatError } from '../errors.js';
import type { Descriptor } from './types.js';

/** DIGEST_ALGORITHM is the one algorithm this package computes and accepts. */
export const DIGEST_ALGORITHM = 'sha256';

const SHA256_HEX_LENGTH = 64;
const DIGEST_PATTERN = /^sha256:([0-9a-f]{64})$/;

/** fileDigest returns `sha256:<hex>` of a file's contents, read as a stream. */
export async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(piece as Buffer);
  return `${DIGEST_ALGORITHM}:${hash.digest('hex')}`;
}

/** sha256Digest returns `sha256:<hex>` of the given bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `${DIGEST_ALGORITHM}:${createHash(DIGEST_ALGORITHM).update(bytes).digest('hex')}`;
}

/** ParsedDigest is a digest split into its algorithm and lower-case hex encoding. */
export interface ParsedDigest {
  algorithm: 'sha256';
  hex: string;
}

/** isDigest tells whether text is a well-formed `sha256:<64 lower-case hex>` digest. */
export function isDigest(text: unknown): text is string {
  return typeof text === 'string' && DIGEST_PATTERN.test(text);
}

/**
 * parseDigest splits a digest into algorithm and hex, throwing a FormatError that
 * names `field` when the text is not `sha256:<64 lower-case hex>`.
 */
export function parseDigest(text: string, field = 'digest'): ParsedDigest {
  const match = DIGEST_PATTERN.exec(text);
  if (match === null) {
    const shown = JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
    const why = text.startsWith(`${DIGEST_ALGORITHM}:`)
      ? `want ${SHA256_HEX_LENGTH} lower-case hex digits`
      : `only ${DIGEST_ALGORITHM} is supported`;
    throw new FormatError('descriptor', field, `bad digest ${shown}: ${why}`);
  }
  return { algorithm: DIGEST_ALGORITHM, hex: match[1] as string };
}

/**
 * DigestVerifier is a pass-through stream that counts and hashes what flows through
 * it. It fails as soon as more than the expected size arrives (trailing data), and
 * at EOF when the size is short or the digest differs.
 */
class DigestVerifier extends Transform {
  private readonly hash: Hash = createHash(DIGEST_ALGORITHM);
  private seen = 0;

  constructor(
    private readonly expectedDigest: string,
    private readonly expectedSize: number,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expectedSize) {
      // Stop at the first byte past the stated size: a lying descriptor must not
      // make us read an unbounded stream.
      done(this.sizeError(`more than ${this.expectedSize} bytes`));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.seen !== this.expectedSize) {
      done(this.sizeError(`${this.seen} bytes`));
      return;
    }
    const actual = `${DIGEST_ALGORITHM}:${this.hash.digest('hex')}`;
    if (actual !== this.expectedDigest) {
      done(new DigestMismatchError(this.what, this.expectedDigest, actual));
      return;
    }
    done();
  }

  private sizeError(actual: string): DigestMismatchError {
    return new DigestMismatchError(this.what, `${this.expectedSize} bytes`, actual);
  }
}

/**
 * verifyStream wraps `stream` so that it yields the same bytes but errors at EOF
 * with a DigestMismatchError when the size or digest differ from `desc`, and as soon
 * as data runs past `desc.size`. `what` names the content in the error message.
 * Errors of the wrapped stream are forwarded.
 */
export function verifyStream(stream: Readable, desc: Descriptor, what: string): Readable {
  parseDigest(desc.digest);
  if (!Number.isSafeInteger(desc.size) || desc.size < 0) {
    throw new FormatError('descriptor', 'size', `bad size ${String(desc.size)} for ${what}`);
  }
  const verifier = new DigestVerifier(desc.digest, desc.size, what);
  stream.on('error', (err) => verifier.destroy(err));
  // When the reader gives up early, stop the underlying read as well.
  verifier.on('close', () => {
    if (!stream.destroyed) stream.destroy();
  });
  return stream.pipe(verifier);
}
