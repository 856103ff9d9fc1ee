/**
 * Authorization for one registry: remembers the challenge from `/v2/` (or from a
 * 401), and produces the `Authorization` header for a set of scopes.
 *
 * Bearer flow (distribution token spec):
 * 1. the registry answers 401 with `Bearer realm,service,scope`;
 * 2. GET realm?service=S&scope=… , with basic credentials when known, anonymous
 *    otherwise; an identity token is exchanged by POST (grant_type=refresh_token);
 * 3. the answer's `token` (or `access_token`) is cached per scope set until
 *    `expires_in` (default 60 s) runs out, and dropped when a request answers 401.
 * References: https://distribution.github.io/distribution/spec/auth/token/,
 * https://distribution.github.io/distribution/spec/auth/oauth/
 */
import type { Dispatcher } from 'undici';
import type { Challenge } from './challenge.js';
import type { Credential } from './credentials.js';
import { RegistryError, parseErrorBody, type Side } from './errors.js';
import { isRetryableStatus } from './retry.js';
import { connectionErrorCode, header, readBounded, send, type HttpMethod } from './http.js';

/** DEFAULT_TOKEN_SECONDS is a token's life when the server does not say (the spec's 60 s). */
export const DEFAULT_TOKEN_SECONDS = 60;
/** TOKEN_EARLY_EXPIRY_MS renews a token this long before it runs out. */
const TOKEN_EARLY_EXPIRY_MS = 5_000;
const MAX_TOKEN_ANSWER = 1024 * 1024;
/** CLIENT_ID identifies this tool in OAuth2 token requests. */
export const CLIENT_ID = 'nydusify-ts';

interface CachedToken {
  value: string;
  expiresAt: number;
}

/** Authorizer holds a registry's challenge, credential and token cache. */
export class Authorizer {
  private challenge?: Challenge;
  private readonly tokens = new Map<string, CachedToken>();
  private credential?: Promise<Credential | undefined>;
  /** Token requests made so far, for tests and diagnostics. */
  tokenRequests = 0;

  constructor(
    private readonly side: Side,
    private readonly dispatcher: () => Dispatcher,
    private readonly loadCredential: () => Promise<Credential | undefined>,
  ) {}

  /** setChallenge records the scheme a registry asked for; a new one drops cached tokens. */
  setChallenge(challenge: Challenge | undefined): void {
    const before = this.challenge;
    if (before?.scheme !== challenge?.scheme || before?.params.realm !== challenge?.params.realm) this.tokens.clear();
    this.challenge = challenge;
  }

  /** invalidate drops the cached token for a scope set, after the registry refused it. */
  invalidate(scopes: string[]): void {
    this.tokens.delete(scopeKey(scopes));
  }

  /** authorization returns the header value for a request needing `scopes`, if any. */
  async authorization(scopes: string[]): Promise<string | undefined> {
    const challenge = this.challenge;
    if (challenge === undefined) return undefined;
    const credential = await this.getCredential();
    if (challenge.scheme === 'basic') {
      if (credential === undefined || !('username' in credential)) return undefined;
      return basicAuthorization(credential);
    }
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresAt > Date.now()) return `Bearer ${cached.value}`;
    const token = await this.fetchToken(challenge, scopes, credential);
    this.tokens.set(key, token);
    return `Bearer ${token.value}`;
  }

  private getCredential(): Promise<Credential | undefined> {
    this.credential ??= this.loadCredential();
    return this.credential;
  }

  private async fetchToken(challenge: Challenge, scopes: string[], credential?: Credential): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (realm === undefined) {
      throw new RegistryError({
        side: this.side, method: 'GET', url: 'about:blank', detail: 'bearer challenge without realm',
      });
    }
    const url = new URL(realm);
    const form = new URLSearchParams();
    if (challenge.params.service !== undefined) form.set('service', challenge.params.service);
    for (const scope of scopes) form.append('scope', scope);
    let method: HttpMethod = 'GET';
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: Buffer | undefined;
    if (credential !== undefined && 'identityToken' in credential) {
      method = 'POST';
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', credential.identityToken);
      form.set('client_id', CLIENT_ID);
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = Buffer.from(form.toString());
    } else {
      for (const [k, v] of form) url.searchParams.append(k, v);
      if (credential !== undefined) {
        headers.authorization = basicAuthorization(credential);
      }
    }
    this.tokenRequests++;
    return this.askTokenServer(method, url, headers, body);
  }

  private async askTokenServer(
    method: HttpMethod,
    url: URL,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<CachedToken> {
    const fail = (detail: string, status?: number, answer?: Buffer): never => {
      const said = answer === undefined ? undefined : parseErrorBody(answer);
      // No status means no answer: a dropped connection is worth another try.
      throw new RegistryError({
        side: this.side, method, url, status, detail,
        registryCode: said?.code, registryMessage: said?.message,
        retryable: status === undefined || isRetryableStatus(status),
      });
    };
    let res;
    try {
      res = await send(this.dispatcher(), method, url, headers, body);
    } catch (err) {
      return fail(`token request failed: ${connectionErrorCode(err)}`);
    }
    const answer = await readBounded(res.body, MAX_TOKEN_ANSWER);
    if (res.status !== 200) return fail('token request refused', res.status, answer);
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(answer?.toString('utf8') ?? '') as typeof parsed;
    } catch {
      return fail(`token answer is not JSON (content-type ${header(res, 'content-type') ?? 'none'})`, res.status);
    }
    const value = typeof parsed.token === 'string' && parsed.token !== '' ? parsed.token : parsed.access_token;
    if (typeof value !== 'string' || value === '') return fail('token answer holds no token', res.status);
    const life = parsed.expires_in;
    const seconds = typeof life === 'number' && life > 0 ? life : DEFAULT_TOKEN_SECONDS;
    return { value, expiresAt: Date.now() + seconds * 1000 - TOKEN_EARLY_EXPIRY_MS };
  }
}

function basicAuthorization(credential: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
}

/** scopeKey is the cache key of a scope set: sorted and joined, so order does not matter. */
export function scopeKey(scopes: string[]): string {
  return [...new Set(scopes)].sort().join(' ');
}

/** repositoryScope builds `repository:NAME:ACTIONS`, e.g. `repository:a/b:pull,push`. */
export function repositoryScope(name: string, actions: 'pull' | 'pull,push'): string {
  return `repository:${name}:${actions}`;
}
