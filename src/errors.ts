/**
 * Typed errors for every part of the converter.
 *
 * Each error carries a stable `code` (for scripts and tests), a lower-case message
 * that reads as a context chain ("reading layer sha256:…: entry etc/x: …"), and an
 * optional `cause`. The CLI prints `message` on one line and maps `code` to an exit
 * status; nothing below the CLI prints or exits.
 */

/** NydusifyError is the base of every error this package throws on purpose. */
export class NydusifyError extends Error {
  /** Stable machine-readable code, e.g. `ERR_FORMAT`. */
  readonly code: string;
  /** A hint for the user on what to do next, when there is a useful one. */
  readonly hint?: string;

  constructor(code: string, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** FormatError reports bytes that break an on-disk format rule: which struct, field, value. */
export class FormatError extends NydusifyError {
  constructor(
    readonly struct: string,
    readonly field: string,
    readonly detail: string,
    readonly offset?: number,
  ) {
    const at = offset === undefined ? '' : ` at offset 0x${offset.toString(16)}`;
    super('ERR_FORMAT', `${struct}.${field}${at}: ${detail}`);
  }
}

/** LayerError reports a problem in one source layer: which layer, which entry. */
export class LayerError extends NydusifyError {
  constructor(
    readonly layer: string,
    readonly entry: string | undefined,
    detail: string,
    options: { cause?: unknown; hint?: string } = {},
  ) {
    const where = entry === undefined ? `layer ${layer}` : `layer ${layer}: entry ${entry}`;
    super('ERR_LAYER', `${where}: ${detail}`, options);
  }
}

/** DigestMismatchError reports content whose digest is not the one it was named by. */
export class DigestMismatchError extends NydusifyError {
  constructor(
    readonly what: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super('ERR_DIGEST', `${what}: digest mismatch: expected ${expected}, got ${actual}`);
  }
}

/** ImageError reports a problem with an image's manifest, index, config or location. */
export class ImageError extends NydusifyError {
  constructor(
    readonly side: 'source' | 'target',
    detail: string,
    options: { cause?: unknown; hint?: string } = {},
  ) {
    super('ERR_IMAGE', `${side}: ${detail}`, options);
  }
}

/** UsageError reports a bad flag, flag value or reference given by the user. */
export class UsageError extends NydusifyError {
  constructor(detail: string, options: { hint?: string } = {}) {
    super('ERR_USAGE', detail, options);
  }
}

/** Wraps any thrown value with a context prefix, keeping the code of typed errors. */
export function withContext(context: string, err: unknown): NydusifyError {
  if (err instanceof NydusifyError) {
    const wrapped = new NydusifyError(err.code, `${context}: ${err.message}`, {
      cause: err,
      hint: err.hint,
    });
    return wrapped;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new NydusifyError('ERR_INTERNAL', `${context}: ${message}`, { cause: err });
}
