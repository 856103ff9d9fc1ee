/**
 * Registry credentials as the Docker CLI keeps them, in `$DOCKER_CONFIG/config.json`
 * (default `~/.docker/config.json`):
 *
 *   { "auths": { "host:port": { "auth": base64("user:pass") } | {"username","password"}
 *                               | { "identitytoken": "…" } },
 *     "credHelpers": { "host:port": "NAME" },  "credsStore": "NAME" }
 *
 * Lookup order, as in the Docker CLI: a `credHelpers` entry for the host, then
 * `credsStore`, then the inline `auths` entry. A helper is the program
 * `docker-credential-NAME`, run with the argument `get` and the server address on
 * stdin; it prints `{"ServerURL","Username","Secret"}`, where the user name
 * `<token>` marks an identity token. Docker Hub's key is `https://index.docker.io/v1/`.
 * References: https://github.com/docker/docker-credential-helpers#development
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NydusifyError } from '../errors.js';

/** Credential is a user name and password, or an identity (refresh) token. */
export type Credential = { username: string; password: string } | { identityToken: string };

/** DOCKER_HUB_CONFIG_KEY is the key under which Docker keeps Docker Hub credentials. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';
/** IDENTITY_TOKEN_USER is the user name a credential helper gives for an identity token. */
export const IDENTITY_TOKEN_USER = '<token>';
/** HELPER_TIMEOUT_MS bounds one run of a credential helper. */
export const HELPER_TIMEOUT_MS = 30_000;
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const DOCKER_HUB_NAMES = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/** AuthEntry is one `auths` entry of config.json. */
export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** DockerConfig is the part of config.json this module reads. */
export interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** dockerConfigPath is `$DOCKER_CONFIG/config.json`, or `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const set = env.DOCKER_CONFIG;
  const dir = set !== undefined && set !== '' ? set : join(homedir(), '.docker');
  return join(dir, 'config.json');
}

/** serverAddress is what Docker calls a registry in config keys and helper input. */
export function serverAddress(registry: string): string {
  return DOCKER_HUB_NAMES.includes(registry) ? DOCKER_HUB_CONFIG_KEY : registry;
}

/** hostOfKey reduces a config key (`https://host:5000/v1/`, `host:5000`) to `host:5000`. */
export function hostOfKey(key: string): string {
  const bare = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = bare.indexOf('/');
  return (slash < 0 ? bare : bare.slice(0, slash)).toLowerCase();
}

function keyMatches(key: string, registry: string): boolean {
  const host = hostOfKey(key);
  if (DOCKER_HUB_NAMES.includes(registry)) return DOCKER_HUB_NAMES.includes(host);
  return host === registry.toLowerCase();
}

/** readDockerConfig reads config.json; a missing file is an empty config. */
export async function readDockerConfig(path: string): Promise<DockerConfig> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_CONFIG_BYTES) {
      throw new NydusifyError('ERR_CONFIG', `${path}: over ${MAX_CONFIG_BYTES} bytes`);
    }
    text = bytes.toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as DockerConfig) : {};
  } catch {
    // The parser's message could quote part of the file, and with it a secret.
    throw new NydusifyError('ERR_CONFIG', `${path}: not valid JSON`);
  }
}

/** inlineCredential decodes an `auths` entry; undefined when it holds nothing usable. */
export function inlineCredential(entry: AuthEntry | undefined): Credential | undefined {
  if (entry === undefined) return undefined;
  const token = entry.identitytoken;
  if (typeof token === 'string' && token !== '') return { identityToken: token };
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string' && entry.username !== '') {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

/** findCredential picks the credential for `registry` out of a config, running a helper when named. */
export async function findCredential(
  config: DockerConfig,
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credential | undefined> {
  const helperKey = Object.keys(config.credHelpers ?? {}).find((k) => keyMatches(k, registry));
  const helper = helperKey === undefined ? config.credsStore : config.credHelpers?.[helperKey];
  if (helper !== undefined && helper !== '') {
    const found = await runCredentialHelper(helper, serverAddress(registry), env);
    if (found !== undefined) return found;
  }
  const auths = config.auths ?? {};
  const exact = auths[serverAddress(registry)] ?? auths[registry];
  const entry = exact ?? Object.entries(auths).find(([k]) => keyMatches(k, registry))?.[1];
  return inlineCredential(entry);
}

/** loadCredential reads the Docker config of `env` and returns the credential for `registry`. */
export async function loadCredential(
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credential | undefined> {
  return findCredential(await readDockerConfig(dockerConfigPath(env)), registry, env);
}

/**
 * runCredentialHelper runs `docker-credential-NAME get` with `server` on stdin.
 * "credentials not found" (the helpers' own words) gives undefined; any other
 * failure is an error that names the helper but quotes none of its output.
 */
export function runCredentialHelper(
  name: string,
  server: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credential | undefined> {
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: HELPER_TIMEOUT_MS });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.resume();
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(new NydusifyError('ERR_CREDENTIALS', `running ${program}: ${err.code ?? 'failed'}`));
    });
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString('utf8');
      if (code !== 0) {
        if (/credentials not found/i.test(text)) resolve(undefined);
        else reject(new NydusifyError('ERR_CREDENTIALS', `${program} get exited with status ${String(code)}`));
        return;
      }
      resolve(parseHelperOutput(text, program));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(server);
  });
}

function parseHelperOutput(text: string, program: string): Credential | undefined {
  let value: { Username?: unknown; Secret?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    throw new NydusifyError('ERR_CREDENTIALS', `${program} get printed something other than JSON`);
  }
  if (typeof value.Secret !== 'string' || value.Secret === '') return undefined;
  if (value.Username === IDENTITY_TOKEN_USER) return { identityToken: value.Secret };
  return { username: typeof value.Username === 'string' ? value.Username : '', password: value.Secret };
}
