/**
 * RegistryClient speaks HTTP to one registry for one side of a run: it finds the
 * endpoint, authorizes, follows redirects, retries, and turns failures into
 * RegistryErrors. It knows nothing of manifests or blobs.
 *
 * Endpoint choice (decided here, documented for users):
 * - `plainHttp`: http only.
 * - `insecure`, or a loopback registry (`localhost`, `127.0.0.0/8`, `[::1]`): https
 *   first, then http when https cannot connect, as the Docker daemon does for
 *   insecure registries; `insecure` also accepts any TLS certificate.
 * - anything else: https only, certificates verified.
 * The first request pings `GET /v2/`; its 401 challenge says how to authorize.
 *
 * Redirects are followed for GET and HEAD (blob downloads often go to object
 * storage); the Authorization header is sent only to the registry's own origin.
 * References: https://github.com/opencontainers/distribution-spec/blob/main/spec.md
 */
import type { Readable } from 'node:stream';
import type { Agent } from 'undici';
import { Authorizer } from './auth.js';
import { parseChallenge } from './challenge.js';
import { loadCredential, type Credential } from './credentials.js';
import { RegistryError, parseErrorBody, type Side } from './errors.js';
import {
  connectionErrorCode, discard, header, isCertificateFailure, isTlsFailure, makeDispatcher, readBounded, send,
  type HttpMethod, type HttpResponse,
} from './http.js';
import {
  DEFAULT_RETRY_POLICY, Retryable, isRetryableStatus, retryAfterMs, withRetries, type RetryPolicy,
} from './retry.js';

/** RegistryClientOptions are a side's connection choices. */
export interface RegistryClientOptions {
  side: Side;
  /** Accept any TLS certificate, and fall back to http when https cannot connect. */
  insecure?: boolean;
  /** Talk http, never https. */
  plainHttp?: boolean;
  /** Overrides of the default retry bounds. */
  retry?: Partial<RetryPolicy>;
  /** A fixed credential; `null` for anonymous; undefined reads the Docker config. */
  credential?: Credential | null;
  /** Environment for DOCKER_CONFIG and credential helpers; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** RegistryRequest is one API call. */
export interface RegistryRequest {
  method: HttpMethod;
  /** A path from the registry root (`/v2/…`), or an absolute URL from a Location header. */
  url: string;
  /** Token scopes the call needs, e.g. `repository:a/b:pull`. */
  scopes: string[];
  headers?: Record<string, string>;
  /** Makes the body; called again for each attempt, so a stream is reopened. */
  body?: () => Buffer | Readable;
  /** Statuses that count as success; any other is an error (404 included). */
  ok: number[];
  /** Retry 429, 5xx and dropped connections; default true for GET, HEAD and DELETE. */
  retry?: boolean;
}

/** MAX_REDIRECTS bounds a chain of redirects. */
export const MAX_REDIRECTS = 5;
/** MAX_ERROR_BODY bounds how much of an error answer is read. */
export const MAX_ERROR_BODY = 64 * 1024;
/** USER_AGENT is sent with every request. */
export const USER_AGENT = 'nydusify-ts';
/** DOCKER_HUB_API_HOST serves the API of the registry called `docker.io`. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** isLoopbackHost tells `localhost`, `127.x.x.x` and `[::1]`, with or without a port. */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** RegistryClient is the HTTP client of one registry, for one side. */
export class RegistryClient {
  /** The host (and port) requests go to. */
  readonly host: string;
  readonly side: Side;
  /** The retry bounds in force. */
  readonly retryPolicy: RetryPolicy;
  private pool?: Agent;
  private readonly authorizer: Authorizer;
  private endpointPromise?: Promise<URL>;

  constructor(
    /** The registry as named in the reference, e.g. `docker.io` or `127.0.0.1:5000`. */
    readonly registry: string,
    private readonly options: RegistryClientOptions,
  ) {
    this.side = options.side;
    this.host = registry === 'docker.io' ? DOCKER_HUB_API_HOST : registry;
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const fixed = options.credential;
    const env = options.env ?? process.env;
    this.authorizer = new Authorizer(this.side, () => this.dispatcher, async () =>
      fixed === null ? undefined : (fixed ?? loadCredential(registry, env)));
  }

  /** The connection pool, made again after close() so the client stays usable. */
  private get dispatcher(): Agent {
    this.pool ??= makeDispatcher(this.options.insecure === true);
    return this.pool;
  }

  /** Token requests made so far. */
  get tokenRequests(): number {
    return this.authorizer.tokenRequests;
  }

  /** endpoint returns the registry's base URL, pinging `/v2/` the first time. */
  endpoint(): Promise<URL> {
    this.endpointPromise ??= this.findEndpoint();
    return this.endpointPromise;
  }

  private schemes(): string[] {
    if (this.options.plainHttp === true) return ['http'];
    if (this.options.insecure === true || isLoopbackHost(this.host)) return ['https', 'http'];
    return ['https'];
  }

  private async findEndpoint(): Promise<URL> {
    const schemes = this.schemes();
    for (const [i, scheme] of schemes.entries()) {
      const base = new URL(`${scheme}://${this.host}/`);
      try {
        await withRetries(this.retryPolicy, () => this.ping(base));
        return base;
      } catch (err) {
        // Fall back to http only when nothing TLS-speaking answered over https.
        const last = i === schemes.length - 1;
        const answered = !(err instanceof RegistryError) || err.status !== undefined;
        if (last || answered || isCertificateFailure(err.cause)) throw err;
      }
    }
    throw new Error('unreachable: no scheme to try');
  }

  private async ping(base: URL): Promise<void> {
    const url = new URL('/v2/', base);
    let res: HttpResponse;
    try {
      res = await send(this.dispatcher, 'GET', url, { 'user-agent': USER_AGENT });
    } catch (err) {
      const failure = this.connectionFailure('GET', url, err);
      throw failure.retryable ? new Retryable(failure) : failure;
    }
    await discard(res.body);
    if (res.status === 200) return;
    if (res.status === 401) {
      this.authorizer.setChallenge(parseChallenge(header(res, 'www-authenticate')));
      return;
    }
    const failure = new RegistryError({
      side: this.side, method: 'GET', url, status: res.status, detail: 'not an OCI distribution registry',
      retryable: isRetryableStatus(res.status), retryAfterMs: retryAfterMs(header(res, 'retry-after')),
    });
    throw failure.retryable ? new Retryable(failure, failure.retryAfterMs) : failure;
  }

  private connectionFailure(method: string, url: URL, err: unknown): RegistryError {
    const tls = isTlsFailure(err);
    const code = connectionErrorCode(err);
    const message = err instanceof Error && err.message !== '' ? `: ${err.message}` : '';
    const detail = tls ? `TLS failure: ${code}${message}` : `connection failed: ${code}`;
    return new RegistryError({ side: this.side, method, url, detail, retryable: !tls }, { cause: err });
  }

  /**
   * request performs an API call and returns the answer with an unread body, which
   * the caller must consume or discard. Failures are RegistryErrors.
   */
  async request(req: RegistryRequest): Promise<HttpResponse> {
    const retry = req.retry ?? ['GET', 'HEAD', 'DELETE'].includes(req.method);
    if (!retry) return this.attempt(req);
    return withRetries(this.retryPolicy, async () => {
      try {
        return await this.attempt(req);
      } catch (err) {
        if (err instanceof RegistryError && err.retryable) throw new Retryable(err, err.retryAfterMs);
        throw err;
      }
    });
  }

  private async attempt(req: RegistryRequest): Promise<HttpResponse> {
    const base = await this.endpoint();
    let url = new URL(req.url, base);
    let reauthorized = false;
    for (let redirects = 0; ; ) {
      const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...req.headers };
      // Credentials go to the registry's own origin only, never to a redirect target.
      const own = url.origin === base.origin;
      if (own) {
        const authorization = await this.authorizer.authorization(req.scopes);
        if (authorization !== undefined) headers.authorization = authorization;
      }
      let res: HttpResponse;
      try {
        res = await send(this.dispatcher, req.method, url, headers, req.body?.());
      } catch (err) {
        throw this.connectionFailure(req.method, url, err);
      }
      if (res.status === 401 && own && !reauthorized) {
        await discard(res.body);
        const challenge = parseChallenge(header(res, 'www-authenticate'));
        if (challenge !== undefined) this.authorizer.setChallenge(challenge);
        this.authorizer.invalidate(req.scopes);
        reauthorized = true;
        continue;
      }
      const location = header(res, 'location');
      const readOnly = req.method === 'GET' || req.method === 'HEAD';
      if (REDIRECT_STATUSES.has(res.status) && location !== undefined && readOnly) {
        await discard(res.body);
        if (++redirects > MAX_REDIRECTS) {
          throw new RegistryError({
            side: this.side, method: req.method, url, status: res.status, detail: `more than ${MAX_REDIRECTS} redirects`,
          });
        }
        url = new URL(location, url);
        continue;
      }
      if (req.ok.includes(res.status)) return { ...res, url };
      throw await this.answerFailure(req.method, res, url);
    }
  }

  private async answerFailure(method: string, res: HttpResponse, url: URL): Promise<RegistryError> {
    const bytes = method === 'HEAD' ? undefined : await readBounded(res.body, MAX_ERROR_BODY).catch(() => undefined);
    if (method === 'HEAD' || bytes === undefined) await discard(res.body);
    const said = bytes === undefined ? undefined : parseErrorBody(bytes);
    return new RegistryError({
      side: this.side, method, url, status: res.status,
      registryCode: said?.code, registryMessage: said?.message,
      retryable: isRetryableStatus(res.status),
      retryAfterMs: retryAfterMs(header(res, 'retry-after')),
    });
  }

  /**
   * close ends the client's connections, so that they keep no process alive; a
   * later request opens new ones. Tokens and the endpoint stay remembered.
   */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }
}
