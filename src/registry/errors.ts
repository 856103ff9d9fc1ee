/**
 * RegistryError: one failed exchange with a registry, told as "side: METHOD URL:
 * status CODE: message". The URL is shown without user info and with query values
 * other than a few known-harmless ones blanked, since upload and redirect URLs can
 * carry signatures. No header, token or password is ever part of the text.
 */
import { NydusifyError } from '../errors.js';

/** Side says which end of a run talked to the registry. */
export type Side = 'source' | 'target';

/** REGISTRY_ERROR_CODE is the NydusifyError code of every RegistryError. */
export const REGISTRY_ERROR_CODE = 'ERR_REGISTRY';

/** Query parameters whose values are shown in messages; every other value is blanked. */
const SHOWN_QUERY_KEYS = new Set(['mount', 'from', 'digest', 'service', 'scope', 'n', 'last', 'artifactType']);

/** RegistryErrorDetails are the facts a RegistryError reports. */
export interface RegistryErrorDetails {
  side: Side;
  method: string;
  /** The URL as requested; redacted before it is stored. */
  url: string | URL;
  /** HTTP status, absent when no answer came (connection or TLS failure). */
  status?: number;
  /** The first `errors[].code` of the registry's answer, e.g. `MANIFEST_UNKNOWN`. */
  registryCode?: string;
  /** The first `errors[].message` of the registry's answer. */
  registryMessage?: string;
  /** What went wrong when there is no registry error body to quote. */
  detail?: string;
  /** True when asking again may succeed (429, 5xx, a dropped connection). */
  retryable?: boolean;
  /** The wait the registry asked for in `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
}

/** RegistryError reports a failed request: side, method, redacted URL, status, registry code. */
export class RegistryError extends NydusifyError {
  readonly side: Side;
  readonly method: string;
  /** The redacted URL. */
  readonly url: string;
  readonly status?: number;
  readonly registryCode?: string;
  readonly registryMessage?: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(details: RegistryErrorDetails, options: { cause?: unknown; hint?: string } = {}) {
    const url = redactUrl(details.url);
    const hint = options.hint ?? hintFor(details);
    super(REGISTRY_ERROR_CODE, describe(details, url), { cause: options.cause, hint });
    this.side = details.side;
    this.method = details.method;
    this.url = url;
    this.status = details.status;
    this.registryCode = details.registryCode;
    this.registryMessage = details.registryMessage;
    this.retryable = details.retryable ?? false;
    this.retryAfterMs = details.retryAfterMs;
  }
}

function describe(d: RegistryErrorDetails, url: string): string {
  const parts = [`${d.side}: ${d.method} ${url}`];
  if (d.status !== undefined) parts.push(String(d.status));
  const said = [d.registryCode, d.registryMessage].filter((s) => s !== undefined && s !== '').join(': ');
  const tail = [said, d.detail].filter((s) => s !== undefined && s !== '').join('; ');
  return tail === '' ? parts.join(': ') : `${parts.join(': ')}: ${tail}`;
}

function hintFor(d: RegistryErrorDetails): string | undefined {
  const flag = d.side === 'source' ? '--source-insecure' : '--target-insecure';
  if (d.status === 401) {
    return 'log in with docker login, or check the auths entry in $DOCKER_CONFIG/config.json '
      + '(default ~/.docker/config.json)';
  }
  if (d.status === 403) return 'the credentials are valid but lack permission for this repository';
  if (d.status === undefined && /certificate|SSL|TLS|EPROTO/i.test(d.detail ?? '')) {
    return `for a registry with a self-signed certificate use ${flag}; for one without TLS use --plain-http`;
  }
  return undefined;
}

/**
 * redactUrl shows a URL without user info, and with the values of query parameters
 * blanked except those known to carry no secret (mount, from, digest, scope, …).
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return '<unparsable URL>';
  }
  parsed.username = '';
  parsed.password = '';
  const kept = new URLSearchParams();
  for (const [key, value] of parsed.searchParams) kept.append(key, SHOWN_QUERY_KEYS.has(key) ? value : 'REDACTED');
  parsed.search = kept.toString();
  return parsed.toString();
}

/** RegistryErrorBody is the first entry of a distribution-spec error answer. */
export interface RegistryErrorBody {
  code?: string;
  message?: string;
}

/**
 * parseErrorBody reads `{"errors":[{"code","message"}]}` and returns the first
 * entry, or undefined when the body is not of that shape (an HTML page, say).
 * References: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */
export function parseErrorBody(bytes: Buffer): RegistryErrorBody | undefined {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  const errors = (value as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const first = errors[0] as Record<string, unknown>;
  return {
    code: typeof first.code === 'string' ? first.code : undefined,
    message: typeof first.message === 'string' ? first.message.slice(0, 500) : undefined,
  };
}
