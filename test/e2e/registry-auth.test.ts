/**
 * The registry transport against real registries that authenticate: htpasswd basic
 * auth (bcrypt) and bearer tokens from a test token server whose RS256 signatures
 * the registry verifies. Credentials come from a DOCKER_CONFIG folder (inline
 * `auths` entries and a credential helper), and never show in errors.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { getManifest } from '../../src/registry/manifests.js';
import { Repository } from '../../src/registry/repository.js';
import { openSource, openTarget } from '../../src/transport/open.js';
import { basicAuthEntry, copyImage, startRegistry, writeDockerConfig, type TestRegistry } from '../helpers/registry.js';
import { startTokenServer, type TokenServer } from '../helpers/token-server.js';
import { nydusify } from '../helpers/cli.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const LAYERED = `oci-archive:${ROOT}fixtures/images/layered.oci.tar:v1`;
const USER = 'tester';
const PASSWORD = 'S3cret-pa55word';
const WRONG = 'Wr0ng-pa55word';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'nydusify-auth-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});


/** Asserts that no form of the secrets appears in text. */
function expectNoSecrets(text: string): void {
  for (const secret of [PASSWORD, WRONG, basicAuthEntry(USER, PASSWORD).auth, basicAuthEntry(USER, WRONG).auth]) {
    expect(text).not.toContain(secret);
  }
}

async function envWith(config: unknown): Promise<NodeJS.ProcessEnv> {
  return { ...process.env, DOCKER_CONFIG: await writeDockerConfig(work, config) };
}

describe.each(['htpasswd', 'token'] as const)('%s auth', (kind) => {
  let registry: TestRegistry;
  let tokens: TokenServer | undefined;
  beforeAll(async () => {
    if (kind === 'token') {
      tokens = await startTokenServer({ dir: work, users: { [USER]: PASSWORD }, refreshTokens: { 'refresh-me': USER } });
      registry = await startRegistry({ auth: { kind: 'token', ...tokens } });
    } else {
      registry = await startRegistry({ auth: { kind: 'htpasswd', users: { [USER]: PASSWORD } } });
    }
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  it('pushes and converts with credentials from DOCKER_CONFIG, and check passes', async () => {
    const env = await envWith({ auths: { [registry.host]: basicAuthEntry(USER, PASSWORD) } });
    const source = `${registry.host}/auth/layered:v1`;
    await copyImage(openSource(LAYERED), openTarget(source, { env }));
    const target = `${registry.host}/auth/layered:v1-nydus`;
    const converted = await nydusify(['convert', '--source', source, '--target', target, '--quiet'], env);
    expect(converted.code, converted.stderr).toBe(0);
    const check = await nydusify(['check', '--source', source, '--target', target], env);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    if (tokens !== undefined) {
      const users = new Set(tokens.requests.map((r) => r.user));
      expect(users).toEqual(new Set([USER]));
      expect(tokens.requests.every((r) => !r.refused)).toBe(true);
    }
  });

  it('reads username/password entries and credential helpers', async () => {
    await copyImage(openSource(LAYERED), openTarget(`${registry.host}/auth/helper:v1`, {
      env: await envWith({ auths: { [`https://${registry.host}/v1/`]: { username: USER, password: PASSWORD } } }),
    }));
    const bin = join(work, 'bin');
    await rm(bin, { recursive: true, force: true });
    await run('mkdir', ['-p', bin]);
    const helper = join(bin, 'docker-credential-nydtest');
    // The helper answers only for this registry, as real helpers answer per server.
    await writeFile(helper, [
      '#!/bin/sh',
      'read server',
      `if [ "$1" = get ] && [ "$server" = "${registry.host}" ]; then`,
      `  printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$server"; exit 0`,
      'fi',
      'echo "credentials not found in native keychain"; exit 1',
      '',
    ].join('\n'));
    await chmod(helper, 0o755);
    const env = { ...(await envWith({ credsStore: 'nydtest', auths: { [registry.host]: {} } })), PATH: `${bin}:${process.env.PATH}` };
    const source = openSource(`${registry.host}/auth/helper:v1`, { env });
    expect((await source.resolve()).manifest.layers.length).toBeGreaterThan(1);
    await source.close();
    const perHost = { ...(await envWith({ credHelpers: { [registry.host]: 'nydtest' } })), PATH: env.PATH };
    const again = openSource(`${registry.host}/auth/helper:v1`, { env: perHost });
    expect((await again.resolve()).manifest.layers.length).toBeGreaterThan(1);
    await again.close();
  });

  it('refuses target credentials before converting anything', async () => {
    const env = await envWith({ auths: { [registry.host]: basicAuthEntry(USER, WRONG) } });
    const converted = await nydusify(['convert', '--source', `oci-archive:${ROOT}fixtures/images/layered.oci.tar:v1`,
      '--target', `${registry.host}/auth/never:v1`], env);
    expect(converted.code).toBe(1);
    expect(converted.stderr).toMatch(/target: (HEAD|GET) http:\/\/127\.0\.0\.1:\d+\/(v2\/|token)/);
    // No layer was converted: the probe failed first.
    expect(converted.stderr).not.toMatch(/converted/);
    expectNoSecrets(converted.stdout + converted.stderr);
  });

  it('fails with a 401 that names side, method and URL but no credential', async () => {
    const env = await envWith({ auths: { [registry.host]: basicAuthEntry(USER, WRONG) } });
    const converted = await nydusify(['convert', '--source', `${registry.host}/auth/layered:v1`,
      '--target', `oci:${join(work, `out-${kind}`)}`, '--quiet'], env);
    expect(converted.code).toBe(1);
    expect(converted.stderr).toMatch(/source: GET http:\/\/127\.0\.0\.1:\d+\/(v2\/|token)/);
    expect(converted.stderr).toContain('401');
    expectNoSecrets(converted.stdout + converted.stderr);

    const client = new RegistryClient(registry.host, { side: 'target', credential: { username: USER, password: WRONG } });
    const err = await getManifest(new Repository(client, 'auth/layered'), 'v1').catch((e: unknown) => e);
    await client.close();
    expect(err).toBeInstanceOf(RegistryError);
    const e = err as RegistryError;
    expect(e.status).toBe(401);
    expect(e.side).toBe('target');
    expectNoSecrets(`${e.message} ${e.hint ?? ''} ${JSON.stringify(e)} ${String(e.stack)}`);

    const anonymous = new RegistryClient(registry.host, { side: 'source', credential: null });
    const anon = await getManifest(new Repository(anonymous, 'auth/layered'), 'v1').catch((x: unknown) => x);
    await anonymous.close();
    expect((anon as RegistryError).status).toBe(401);
    expect((anon as RegistryError).registryCode).toBe('UNAUTHORIZED');
  });

  // Defined for token auth only (not skipped elsewhere): basic auth has no tokens.
  if (kind === 'token') it('caches a token per scope and exchanges identity tokens by POST', async () => {
    const before = tokens!.requests.length;
    const client = new RegistryClient(registry.host, { side: 'source', credential: { identityToken: 'refresh-me' } });
    const repo = new Repository(client, 'auth/layered');
    for (let i = 0; i < 3; i++) await getManifest(repo, 'v1');
    await client.close();
    expect(client.tokenRequests).toBe(1);
    expect(tokens!.requests.slice(before)).toEqual([{ user: USER, scopes: ['repository:auth/layered:pull'], refused: false }]);
  });
});
