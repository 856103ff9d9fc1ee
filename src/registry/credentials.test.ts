import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCKER_HUB_CONFIG_KEY, dockerConfigPath, findCredential, hostOfKey, inlineCredential, loadCredential,
  runCredentialHelper, serverAddress,
} from './credentials.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nydusify-creds-'));
  // A helper that records its input and answers for two servers.
  await writeFile(join(dir, 'docker-credential-fake'), [
    '#!/bin/sh',
    'read server',
    'echo "$1 $server" >> "$(dirname "$0")/helper.log"',
    'case "$server" in',
    '  reg.example:5000) echo \'{"ServerURL":"reg.example:5000","Username":"alice","Secret":"pw1"}\' ;;',
    `  ${DOCKER_HUB_CONFIG_KEY}) echo '{"ServerURL":"x","Username":"<token>","Secret":"refresh"}' ;;`,
    '  broken.example) echo oops; exit 3 ;;',
    '  *) echo "credentials not found in native keychain"; exit 1 ;;',
    'esac',
    '',
  ].join('\n'));
  await chmod(join(dir, 'docker-credential-fake'), 0o755);
  env = { ...process.env, PATH: `${dir}:${process.env.PATH}`, DOCKER_CONFIG: dir };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Docker config credentials', () => {
  it('finds the config under DOCKER_CONFIG, else ~/.docker', () => {
    expect(dockerConfigPath({ DOCKER_CONFIG: '/x/y' })).toBe('/x/y/config.json');
    expect(dockerConfigPath({})).toMatch(/\.docker\/config\.json$/);
  });

  it('names Docker Hub by its v1 URL and reduces keys to hosts', () => {
    expect(serverAddress('docker.io')).toBe(DOCKER_HUB_CONFIG_KEY);
    expect(serverAddress('127.0.0.1:5000')).toBe('127.0.0.1:5000');
    expect(hostOfKey('https://Reg.Example:5000/v1/')).toBe('reg.example:5000');
    expect(hostOfKey('reg.example')).toBe('reg.example');
  });

  it('decodes auth, username/password and identitytoken entries', () => {
    expect(inlineCredential({ auth: b64('bob:pa:ss') })).toEqual({ username: 'bob', password: 'pa:ss' });
    expect(inlineCredential({ username: 'bob', password: 'x' })).toEqual({ username: 'bob', password: 'x' });
    expect(inlineCredential({ identitytoken: 'tok', auth: b64('a:b') })).toEqual({ identityToken: 'tok' });
    expect(inlineCredential({})).toBeUndefined();
    expect(inlineCredential({ auth: b64('nocolon') })).toBeUndefined();
  });

  it('matches auths keys written with a scheme or path, and Docker Hub aliases', async () => {
    const config = {
      auths: {
        'https://reg.example:5000/v2/': { auth: b64('u1:p1') },
        [DOCKER_HUB_CONFIG_KEY]: { auth: b64('hub:p2') },
      },
    };
    expect(await findCredential(config, 'reg.example:5000', env)).toEqual({ username: 'u1', password: 'p1' });
    expect(await findCredential(config, 'docker.io', env)).toEqual({ username: 'hub', password: 'p2' });
    expect(await findCredential(config, 'reg.example', env)).toBeUndefined();
  });

  it('asks credHelpers first, then credsStore, then inline auths', async () => {
    const config = {
      credHelpers: { 'reg.example:5000': 'fake' },
      credsStore: 'fake',
      auths: { 'other.example': { auth: b64('inline:p') }, 'reg.example:5000': { auth: b64('shadowed:p') } },
    };
    expect(await findCredential(config, 'reg.example:5000', env)).toEqual({ username: 'alice', password: 'pw1' });
    expect(await findCredential(config, 'docker.io', env)).toEqual({ identityToken: 'refresh' });
    // The store has nothing for other.example, so the inline entry is used.
    expect(await findCredential(config, 'other.example', env)).toEqual({ username: 'inline', password: 'p' });
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(join(dir, 'helper.log'), 'utf8')).toContain(`get ${DOCKER_HUB_CONFIG_KEY}`);
  });

  it('reports a failing helper without quoting its output', async () => {
    const err = await runCredentialHelper('fake', 'broken.example', env).catch((e: Error) => e);
    expect((err as Error).message).toBe('docker-credential-fake get exited with status 3');
    await expect(runCredentialHelper('missing-helper', 'x', env)).rejects.toThrow('running docker-credential-missing-helper: ENOENT');
  });

  it('loads from the config file, and refuses broken JSON without quoting it', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { 'reg.example': { auth: b64('c:d') } } }));
    expect(await loadCredential('reg.example', env)).toEqual({ username: 'c', password: 'd' });
    await writeFile(join(dir, 'config.json'), '{"auths": {"x": {"auth": "c2VjcmV0"');
    const err = await loadCredential('reg.example', env).catch((e: Error) => e);
    expect((err as Error).message).toBe(`${join(dir, 'config.json')}: not valid JSON`);
    expect(await loadCredential('reg.example', { DOCKER_CONFIG: join(dir, 'nowhere') })).toBeUndefined();
  });
});
