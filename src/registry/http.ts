/**
 * One HTTP exchange through undici, and small helpers for answers: reading a header,
 * reading a bounded body, discarding a body. Nothing here knows about registries.
 */
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';

/** HttpMethod lists the methods the distribution API uses. */
export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** HttpResponse is an answer whose body the caller must consume or discard. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  /** The URL that answered, after any redirects. */
  url: URL;
}

/** CONNECT_TIMEOUT_MS bounds the TCP and TLS handshake. */
export const CONNECT_TIMEOUT_MS = 30_000;
/** IDLE_TIMEOUT_MS bounds silence while waiting for headers or body data. */
export const IDLE_TIMEOUT_MS = 300_000;

/** makeDispatcher returns a connection pool; `insecure` accepts any TLS certificate. */
export function makeDispatcher(insecure: boolean): Agent {
  return new Agent({
    connect: { rejectUnauthorized: !insecure, timeout: CONNECT_TIMEOUT_MS },
    headersTimeout: IDLE_TIMEOUT_MS,
    bodyTimeout: IDLE_TIMEOUT_MS,
  });
}

/** send performs one request; redirects are not followed, so the caller decides about them. */
export async function send(
  dispatcher: Dispatcher,
  method: HttpMethod,
  url: URL,
  headers: Record<string, string>,
  body?: Buffer | Readable,
): Promise<HttpResponse> {
  const res = await request(url, { method, headers, body, dispatcher });
  return { status: res.statusCode, headers: res.headers, body: res.body, url };
}

/** header returns one response header as a single string (the first, if repeated). */
export function header(res: Pick<HttpResponse, 'headers'>, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** discard drains a body so the connection can be reused, ignoring its errors. */
export async function discard(body: Readable): Promise<void> {
  body.on('error', () => undefined);
  body.resume();
  if (body.readableEnded || body.destroyed) return;
  await new Promise<void>((resolve) => {
    body.once('end', resolve);
    body.once('close', resolve);
  });
}

/**
 * readBounded collects a body of at most `limit` bytes. Past the limit the stream is
 * destroyed and undefined is returned, so a hostile answer cannot fill memory.
 */
export async function readBounded(body: Readable, limit: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > limit) {
      body.destroy();
      return undefined;
    }
    parts.push(buf);
  }
  return Buffer.concat(parts);
}

/** connectionErrorCode names a failure that happened before any answer, e.g. `ECONNRESET`. */
export function connectionErrorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  if (typeof e.code === 'string') return e.code;
  if (typeof e.cause?.code === 'string') return e.cause.code;
  return err instanceof Error ? err.name : 'unknown error';
}

/**
 * isCertificateFailure tells a TLS peer whose certificate was refused: it speaks
 * TLS, so falling back to plain http would only hide the real problem.
 */
export function isCertificateFailure(err: unknown): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(connectionErrorCode(err));
}

/** isTlsFailure tells a TLS handshake or certificate failure, which retrying will not cure. */
export function isTlsFailure(err: unknown): boolean {
  const code = connectionErrorCode(err);
  const cause = err instanceof Error ? (err.cause as Error | undefined) : undefined;
  const message = err instanceof Error ? `${err.message} ${cause?.message ?? ''}` : '';
  return /^ERR_SSL|^ERR_TLS|^EPROTO$|CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)
    || /SSL routines|wrong version number/i.test(message);
}
