/**
 * A real registry for tests: Debian's `docker-registry` (distribution 2.8) started
 * as a child process on 127.0.0.1 with a config of the test's own: filesystem
 * storage in a temp dir, deletes enabled, and no auth, htpasswd basic auth (bcrypt,
 * made by `htpasswd -Bbn`), or token auth against a test token server. With `tls`
 * it serves https with a self-signed certificate, for `insecure` tests.
 *
 * The process is stopped by its pid in `stop()`; an exit hook kills any registry a
 * crashed test left running, so none outlives the test process.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buffer } from 'node:stream/consumers';
import { Agent, request } from 'undici';
import type { ImageSource, ImageTarget } from '../../src/transport/types.js';

/** REGISTRY_BIN is Debian's distribution 2.8 binary. */
export const REGISTRY_BIN = '/usr/bin/docker-registry';
const START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;

/** RegistryAuth chooses how the registry authenticates. */
export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'htpasswd'; users: Record<string, string> }
  | { kind: 'token'; realm: string; service: string; issuer: string; certPath: string };

/** TestRegistry is a running registry. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`, the registry part of references. */
  host: string;
  /** `http://127.0.0.1:PORT` (https with tls). */
  url: string;
  /** The temp folder holding config and storage. */
  dir: string;
  pid: number;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** freePort asks the kernel for a free port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function authSection(auth: RegistryAuth, dir: string): string {
  if (auth.kind === 'none') return '';
  if (auth.kind === 'htpasswd') {
    const lines = Object.entries(auth.users).map(([user, pass]) =>
      execFileSync('htpasswd', ['-Bbn', user, pass], { encoding: 'utf8' }).trim());
    const path = join(dir, 'htpasswd');
    writeFileSync(path, `${lines.join('\n')}\n`);
    return `auth:\n  htpasswd:\n    realm: nydusify-test\n    path: ${path}\n`;
  }
  return [
    'auth:', '  token:', `    realm: ${auth.realm}`, `    service: ${auth.service}`,
    `    issuer: ${auth.issuer}`, `    rootcertbundle: ${auth.certPath}`, '',
  ].join('\n');
}

function tlsSection(dir: string): string {
  const key = join(dir, 'tls-key.pem');
  const cert = join(dir, 'tls-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return `  tls:\n    certificate: ${cert}\n    key: ${key}\n`;
}

/** startRegistry starts a registry and waits until `/v2/` answers. */
export async function startRegistry(opts: { auth?: RegistryAuth; tls?: boolean } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'nydusify-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = [
    'version: 0.1',
    'log:', '  level: error', '  accesslog:', '    disabled: true',
    'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, '  delete:', '    enabled: true',
    'http:', `  addr: ${host}`, '  secret: nydusify-test-secret',
  ].join('\n') + '\n' + (opts.tls === true ? tlsSection(dir) : '') + authSection(opts.auth ?? { kind: 'none' }, dir);
  const configPath = join(dir, 'config.yml');
  writeFileSync(configPath, config);
  const child = spawn(REGISTRY_BIN, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => { stderr = (stderr + b.toString('utf8')).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `${opts.tls === true ? 'https' : 'http'}://${host}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    running.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForRegistry(url, child, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return { host, url, dir, pid: child.pid as number, stop };
}

async function waitForRegistry(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr()}`);
      try {
        const res = await request(`${url}/v2/`, { dispatcher: agent });
        await res.body.dump();
        if (res.statusCode === 200 || res.statusCode === 401) return;
      } catch {
        // Not listening yet.
      }
      await sleep(50);
    }
    throw new Error(`docker-registry did not answer within ${START_TIMEOUT_MS} ms: ${stderr()}`);
  } finally {
    await agent.close();
  }
}

/**
 * writeDockerConfig writes a DOCKER_CONFIG folder whose config.json holds `config`,
 * and returns the folder.
 */
export async function writeDockerConfig(parent: string, config: unknown): Promise<string> {
  const dir = join(parent, `docker-config-${Math.random().toString(36).slice(2)}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
  return dir;
}

/** basicAuthEntry is an `auths` entry in the base64 `auth` form. */
export function basicAuthEntry(user: string, password: string): { auth: string } {
  return { auth: Buffer.from(`${user}:${password}`).toString('base64') };
}

/**
 * copyImage pushes one image from any source to any target through the project's
 * own transports, blob by blob, manifest last, and returns the pushed manifest digest.
 */
export async function copyImage(source: ImageSource, target: ImageTarget): Promise<string> {
  const image = await source.resolve();
  try {
    for (const desc of image.manifest.layers) {
      await target.putBlobBytes(desc, await buffer(await source.openBlob(desc)));
    }
    await target.putBlobBytes(image.manifest.config, image.configBytes);
    const desc = { mediaType: image.manifestMediaType, digest: image.manifestDigest, size: image.manifestBytes.length };
    await target.putManifest(desc, image.manifestBytes);
    await target.commit();
    return image.manifestDigest;
  } catch (err) {
    await target.abort();
    throw err;
  } finally {
    await source.close();
  }
}

/** ProxyAction says what the fault proxy does with one request. */
export type ProxyAction =
  /** Forward upstream, optionally to another path and with extra headers. */
  | { kind: 'pass'; path?: string; headers?: Record<string, string> }
  | { kind: 'answer'; status: number; headers?: Record<string, string>; body?: string }
  /** Destroy the connection without answering, after `afterBytes` of the request body. */
  | { kind: 'cut'; afterBytes?: number };

/** ProxyRequest is one request as the fault proxy saw it. */
export interface ProxyRequest {
  method: string;
  path: string;
  authorization?: string;
  at: number;
  action: ProxyAction['kind'];
}

/** FaultProxy is a running proxy; `decide` may be replaced between runs. */
export interface FaultProxy {
  host: string;
  requests: ProxyRequest[];
  decide: (req: { method: string; path: string; seen: number }) => ProxyAction;
  stop(): Promise<void>;
}

/**
 * startFaultProxy starts an HTTP proxy on 127.0.0.1 in front of `upstream`
 * (`127.0.0.1:PORT`) that passes requests through, answers them itself, or cuts the
 * connection, as `decide` says. `seen` counts earlier requests with the same method
 * and path. Location headers keep pointing at the proxy because the Host header is
 * passed on unchanged.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const [upHost, upPort] = upstream.split(':') as [string, string];
  const counts = new Map<string, number>();
  const proxy: FaultProxy = {
    host: '',
    requests: [],
    decide: () => ({ kind: 'pass' }),
    stop: async () => undefined,
  };
  const server = createHttpServer((req, res) => {
    const path = req.url ?? '/';
    const key = `${req.method} ${path.split('?')[0]}`;
    const seen = counts.get(key) ?? 0;
    counts.set(key, seen + 1);
    const action = proxy.decide({ method: req.method ?? 'GET', path, seen });
    proxy.requests.push({ method: req.method ?? 'GET', path, authorization: req.headers.authorization, at: Date.now(), action: action.kind });
    if (action.kind === 'answer') {
      req.resume();
      res.writeHead(action.status, action.headers);
      res.end(action.body ?? '');
      return;
    }
    if (action.kind === 'cut') {
      let got = 0;
      const cut = (): void => { req.socket.destroy(); };
      if ((action.afterBytes ?? 0) <= 0) { cut(); return; }
      req.on('data', (b: Buffer) => { got += b.length; if (got >= (action.afterBytes ?? 0)) cut(); });
      req.on('end', cut);
      return;
    }
    const headers = { ...req.headers, ...action.headers };
    const upPath = action.path ?? path;
    const up = httpRequest({ host: upHost, port: Number(upPort), method: req.method, path: upPath, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.stop = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return proxy;
}
