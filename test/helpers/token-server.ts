/**
 * A small bearer-token server for registry tests (node:http on 127.0.0.1).
 *
 * It signs RS256 JWTs with an RSA key pair made by node:crypto, and writes a
 * self-signed certificate of that key (made by `openssl req -x509`) for the
 * registry's `auth.token.rootcertbundle`. distribution 2.8 picks the verifying key
 * from the token header: `x5c` (a chain checked against the bundle), `jwk`, or `kid`
 * looked up among the bundle certificates' keys by their libtrust key ID. This
 * server uses `kid`: the libtrust ID is the SHA-256 of the DER public key, first
 * 240 bits, base32 without padding, in groups of four joined by `:`.
 *
 * Users given a correct password (HTTP basic on GET) or a known refresh token
 * (POST grant_type=refresh_token) get every action they ask for; anonymous callers
 * get a token granting nothing; a wrong password gets 401.
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** TokenServerOptions name the test users. */
export interface TokenServerOptions {
  /** Folder for the key and certificate files. */
  dir: string;
  /** user name → password. */
  users: Record<string, string>;
  /** refresh token → user name, for identity-token logins. */
  refreshTokens?: Record<string, string>;
}

/** TokenServer is a running token server. */
export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** The certificate bundle the registry must trust. */
  certPath: string;
  /** Every token request seen: who asked (undefined = anonymous) and for which scopes. */
  requests: Array<{ user?: string; scopes: string[]; refused: boolean }>;
  stop(): Promise<void>;
}

/** TOKEN_SERVICE and TOKEN_ISSUER are the names the registry config must repeat. */
export const TOKEN_SERVICE = 'nydusify-test-registry';
export const TOKEN_ISSUER = 'nydusify-test-issuer';
const TOKEN_SECONDS = 300;

/** libtrustKeyId computes the key ID distribution's libtrust gives a public key. */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const digest = createHash('sha256').update(der).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of digest) bits += byte.toString(2).padStart(8, '0');
  let text = '';
  for (let i = 0; i < bits.length; i += 5) text += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return text.match(/.{4}/g)!.join(':');
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** signToken makes an RS256 JWT granting `access`. */
export function signToken(key: KeyObject, kid: string, subject: string, access: unknown[]): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'RS256', kid };
  const claims = {
    iss: TOKEN_ISSUER, sub: subject, aud: TOKEN_SERVICE,
    exp: now + TOKEN_SECONDS, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access,
  };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${base64url(sign('sha256', Buffer.from(input), key))}`;
}

/** grant turns `repository:NAME:a,b` scopes into token access entries. */
function grant(scopes: string[]): unknown[] {
  return scopes.flatMap((scope) => {
    const m = /^(repository|registry):(.+):([^:]*)$/.exec(scope);
    return m === null ? [] : [{ type: m[1], name: m[2], actions: (m[3] as string).split(',').filter((a) => a !== '') }];
  });
}

function basicUser(req: IncomingMessage, users: Record<string, string>): string | undefined | false {
  const auth = req.headers.authorization;
  if (auth === undefined) return undefined;
  const decoded = Buffer.from(auth.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = decoded.slice(0, colon);
  return colon > 0 && users[user] === decoded.slice(colon + 1) ? user : false;
}

async function body(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** startTokenServer starts the server on a free port of 127.0.0.1. */
export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPath = join(opts.dir, 'token-key.pem');
  const certPath = join(opts.dir, 'token-cert.pem');
  writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  execFileSync('openssl', ['req', '-x509', '-new', '-key', keyPath, '-subj', '/CN=nydusify-test-token', '-days', '2', '-out', certPath],
    { stdio: 'ignore' });
  const kid = libtrustKeyId(publicKey);
  const requests: TokenServer['requests'] = [];

  const answer = (res: ServerResponse, status: number, value: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://token');
      let scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' '));
      let user: string | undefined | false;
      if (req.method === 'POST') {
        const form = new URLSearchParams(await body(req));
        scopes = form.getAll('scope').flatMap((s) => s.split(' '));
        user = opts.refreshTokens?.[form.get('refresh_token') ?? ''] ?? false;
      } else {
        user = basicUser(req, opts.users);
      }
      if (user === false) {
        requests.push({ scopes, refused: true });
        answer(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
        return;
      }
      requests.push({ user, scopes, refused: false });
      const token = signToken(privateKey, kid, user ?? '', user === undefined ? [] : grant(scopes));
      answer(res, 200, { token, access_token: token, expires_in: TOKEN_SECONDS, issued_at: new Date().toISOString() });
    })().catch(() => answer(res, 500, {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service: TOKEN_SERVICE,
    issuer: TOKEN_ISSUER,
    certPath,
    requests,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
