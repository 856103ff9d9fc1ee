/**
 * The registry transport when things go wrong, through a proxy in front of a real
 * registry: answers of 500, 502, 503 and 429 with Retry-After, dropped connections,
 * a push killed mid-upload, manifest PUTs that never get through, and a blob GET
 * redirected to another origin, which must not receive the credentials.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertImage } from '../../src/convert/convert.js';
import { RegistryError } from '../../src/registry/errors.js';
import { headManifest } from '../../src/registry/manifests.js';
import { openSource, openTarget } from '../../src/transport/open.js';
import { RegistryTarget } from '../../src/transport/registry-target.js';
import {
  basicAuthEntry, copyImage, startFaultProxy, startRegistry, writeDockerConfig,
  type FaultProxy, type ProxyAction, type TestRegistry,
} from '../helpers/registry.js';
import { nydusify } from '../helpers/cli.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/nydusify.js');
const LAYERED = `oci-archive:${ROOT}fixtures/images/layered.oci.tar:v1`;
const ALPINE = `docker-archive:${ROOT}../shared/fixtures/images/alpine-3.docker.tar`;
const PASS: ProxyAction = { kind: 'pass' };
const FAST_RETRY = { attempts: 2, baseDelayMs: 10, maxDelayMs: 50 };
const CONVERT = { chunkSize: 0x100000, compressor: 'zstd', digester: 'blake3' } as const;

let registry: TestRegistry;
let proxy: FaultProxy;
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'nydusify-faults-'));
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host);
  await copyImage(openSource(ALPINE), openTarget(`${registry.host}/faults/src:v1`));
});
afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});


async function tagDigest(repository: string, tag: string): Promise<string | undefined> {
  const target = openTarget(`${registry.host}/${repository}:${tag}`) as RegistryTarget;
  const desc = await headManifest(target.repository, tag);
  await target.abort();
  return desc?.digest;
}

const isUploadPut = (r: { method: string; path: string }): boolean => r.method === 'PUT' && r.path.includes('/blobs/uploads/');

describe('faults between client and registry', () => {
  it('retries 500, 502, 503, 429 with Retry-After and dropped uploads, and ends in a correct image', async () => {
    const direct = await nydusify(['convert', '--source', `${registry.host}/faults/src:v1`,
      '--target', `${registry.host}/faults/direct:v1`, '--output-json', join(work, 'direct.json'), '--quiet']);
    expect(direct.code, direct.stderr).toBe(0);

    let uploadPuts = 0;
    proxy.decide = (r) => {
      if (r.method === 'GET' && r.path.endsWith('/manifests/v1') && r.seen === 0) return { kind: 'answer', status: 500 };
      if (r.method === 'GET' && r.path.includes('/faults/src/blobs/') && r.seen === 0) return { kind: 'answer', status: 503 };
      if (r.method === 'HEAD' && r.path.includes('/blobs/') && r.seen === 0) return { kind: 'answer', status: 502 };
      if (r.method === 'POST' && r.seen === 0) {
        return { kind: 'answer', status: 429, headers: { 'retry-after': '1', 'content-type': 'application/json' },
          body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' };
      }
      if (isUploadPut(r) && uploadPuts++ === 0) return { kind: 'cut', afterBytes: 100 };
      if (r.method === 'PUT' && r.path.includes('/manifests/') && r.seen === 0) return { kind: 'answer', status: 503 };
      return PASS;
    };
    const faulty = await nydusify(['convert', '--source', `${proxy.host}/faults/src:v1`,
      '--target', `${proxy.host}/faults/retried:v1`, '--output-json', join(work, 'retried.json'), '--quiet']);
    proxy.decide = () => PASS;
    expect(faulty.code, faulty.stderr).toBe(0);
    const want = JSON.parse(await readFile(join(work, 'direct.json'), 'utf8')) as { target: { manifestDigest: string } };
    const got = JSON.parse(await readFile(join(work, 'retried.json'), 'utf8')) as { target: { manifestDigest: string } };
    expect(got.target.manifestDigest).toBe(want.target.manifestDigest);
    expect(await tagDigest('faults/retried', 'v1')).toBe(want.target.manifestDigest);

    const posts = proxy.requests.filter((r) => r.method === 'POST');
    const limited = posts.findIndex((r) => r.action === 'answer');
    expect(limited).toBeGreaterThanOrEqual(0);
    expect((posts[limited + 1]?.at ?? 0) - (posts[limited]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    // Each blob's first HEAD and GET fail, so there are at least six faults.
    expect(proxy.requests.filter((r) => r.action === 'answer').length).toBeGreaterThanOrEqual(5);
    expect(proxy.requests.filter((r) => r.action === 'cut').length).toBe(1);

    const check = await nydusify(['check', '--source', `${registry.host}/faults/src:v1`, '--target', `${registry.host}/faults/retried:v1`]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('a push killed mid-upload leaves the tag unchanged, and a rerun completes it', async () => {
    const old = await copyImage(openSource(LAYERED), openTarget(`${registry.host}/faults/killed:v1`));
    const args = ['convert', '--source', `${registry.host}/faults/src:v1`, '--target', `${proxy.host}/faults/killed:v1`,
      '--output-json', join(work, 'killed.json'), '--quiet'];
    const child = spawn('node', [BIN, ...args], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let uploadPuts = 0;
    proxy.decide = (r) => {
      if (isUploadPut(r) && ++uploadPuts === 2) {
        child.kill('SIGKILL');
        return { kind: 'cut', afterBytes: 1 };
      }
      return PASS;
    };
    expect(await exited).toBeNull();
    proxy.decide = () => PASS;
    expect(await tagDigest('faults/killed', 'v1')).toBe(old);

    const rerun = await nydusify(args);
    expect(rerun.code, rerun.stderr).toBe(0);
    const result = JSON.parse(await readFile(join(work, 'killed.json'), 'utf8')) as { target: { manifestDigest: string }; push: { blobsSkipped: number; bytesSkipped: number } };
    expect(result.push.blobsSkipped).toBeGreaterThanOrEqual(1);
    expect(await tagDigest('faults/killed', 'v1')).toBe(result.target.manifestDigest);
  });

  it('a manifest PUT that never gets through fails the run with the tag unchanged', async () => {
    const old = await copyImage(openSource(LAYERED), openTarget(`${registry.host}/faults/cut:v1`));
    proxy.decide = (r) => (r.method === 'PUT' && r.path.includes('/manifests/') ? { kind: 'cut' } : PASS);
    const source = openSource(`${registry.host}/faults/src:v1`);
    const failing = openTarget(`${proxy.host}/faults/cut:v1`, { retry: FAST_RETRY });
    const err = await convertImage(source, failing, CONVERT).catch((e: unknown) => e);
    proxy.decide = () => PASS;
    expect(String(err)).toMatch(/target: PUT http:\/\/127\.0\.0\.1:\d+\/v2\/faults\/cut\/manifests\/v1: connection failed/);
    expect((err as Error).cause).toBeInstanceOf(RegistryError);
    expect(((err as Error).cause as RegistryError).status).toBeUndefined();
    expect(await tagDigest('faults/cut', 'v1')).toBe(old);

    const target = openTarget(`${registry.host}/faults/cut:v1`) as RegistryTarget;
    const result = await convertImage(source, target, CONVERT);
    await source.close();
    expect(target.pushStats.bytesUploaded).toBe(0);
    expect(await tagDigest('faults/cut', 'v1')).toBe(result.target.manifestDigest);
  });
});

describe('tampered answers', () => {
  it('refuses a manifest or blob whose bytes do not match their digest', async () => {
    const good = openSource(`${registry.host}/faults/src:v1`);
    const image = await good.resolve();
    await good.close();
    const other = Buffer.from(JSON.stringify({ ...image.manifest, annotations: { tampered: 'yes' } }));
    proxy.decide = (r) => {
      if (r.method === 'GET' && r.path.includes('/manifests/')) {
        return { kind: 'answer', status: 200, headers: { 'content-type': image.manifestMediaType }, body: other.toString() };
      }
      if (r.method === 'GET' && r.path.endsWith(image.manifest.layers[0]!.digest)) {
        return { kind: 'answer', status: 200, body: 'x'.repeat(image.manifest.layers[0]!.size) };
      }
      return PASS;
    };
    try {
      const byDigest = openSource(`${proxy.host}/faults/src@${image.manifestDigest}`);
      await expect(byDigest.resolve()).rejects.toThrow(/digest mismatch: expected sha256:/);
      await byDigest.close();
      const viaProxy = openSource(`${proxy.host}/faults/src:v1`);
      const stream = await viaProxy.openBlob(image.manifest.layers[0]!);
      await expect(buffer(stream)).rejects.toThrow(/digest mismatch/);
      await viaProxy.close();
    } finally {
      proxy.decide = () => PASS;
    }
  });
});

describe('redirects', () => {
  it('follow blob redirects to another origin without sending the credentials there', async () => {
    const secured = await startRegistry({ auth: { kind: 'htpasswd', users: { tester: 'pa55' } } });
    const front = await startFaultProxy(secured.host);
    try {
      const env = { ...process.env, DOCKER_CONFIG: await writeDockerConfig(work, { auths: { [front.host]: basicAuthEntry('tester', 'pa55') } }) };
      await copyImage(openSource(LAYERED), openTarget(`${front.host}/redirect/layered:v1`, { env }));
      const port = front.host.split(':')[1];
      // "Object storage": the same proxy under another origin (localhost), which
      // signs the request itself, as a pre-signed URL would.
      front.decide = (r) => {
        if (r.path.startsWith('/storage/')) {
          return { kind: 'pass', path: r.path.slice('/storage'.length), headers: { authorization: `Basic ${basicAuthEntry('tester', 'pa55').auth}` } };
        }
        if (r.method === 'GET' && /\/blobs\/sha256:/.test(r.path)) {
          return { kind: 'answer', status: 307, headers: { location: `http://localhost:${port}/storage${r.path}` } };
        }
        return PASS;
      };
      const before = front.requests.length;
      const source = openSource(`${front.host}/redirect/layered:v1`, { env });
      const image = await source.resolve();
      const pulled = await copyImage(source, openTarget(`oci:${join(work, 'redirected')}:v1`));
      expect(pulled).toBe(image.manifestDigest);
      const seen = front.requests.slice(before);
      const storage = seen.filter((r) => r.path.startsWith('/storage/'));
      expect(storage.length).toBeGreaterThanOrEqual(image.manifest.layers.length + 1);
      expect(storage.every((r) => r.authorization === undefined)).toBe(true);
      expect(seen.filter((r) => r.path.includes('/manifests/')).every((r) => r.authorization?.startsWith('Basic ') === true)).toBe(true);
    } finally {
      await front.stop();
      await secured.stop();
    }
  });
});
