import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { parseReference } from './reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseReference: file transports', () => {
  it.each([
    ['oci:/tmp/layout', { transport: 'oci', dir: '/tmp/layout' }],
    ['oci:/tmp/layout:v1', { transport: 'oci', dir: '/tmp/layout', tag: 'v1' }],
    ['oci:rel/dir:docker.io/library/alpine:3', { transport: 'oci', dir: 'rel/dir', tag: 'docker.io/library/alpine:3' }],
    ['oci-archive:img.tar', { transport: 'oci-archive', path: 'img.tar' }],
    ['oci-archive:/a/img.tar:latest', { transport: 'oci-archive', path: '/a/img.tar', tag: 'latest' }],
    ['docker-archive:a.tar', { transport: 'docker-archive', path: 'a.tar' }],
    [
      'docker-archive:a.tar:alpine',
      { transport: 'docker-archive', path: 'a.tar', ref: { kind: 'name', name: 'docker.io/library/alpine:latest' } },
    ],
    [
      'docker-archive:a.tar:example.com:5000/x/y:1.0',
      { transport: 'docker-archive', path: 'a.tar', ref: { kind: 'name', name: 'example.com:5000/x/y:1.0' } },
    ],
    ['docker-archive:a.tar:@0', { transport: 'docker-archive', path: 'a.tar', ref: { kind: 'index', index: 0 } }],
    ['docker-archive:a.tar:@12', { transport: 'docker-archive', path: 'a.tar', ref: { kind: 'index', index: 12 } }],
  ])('%s', (text, expected) => {
    expect(parseReference(text, 'source')).toEqual(expected);
  });

  it.each([
    ['oci:', 'the path is empty'],
    ['oci::tag', 'the path is empty'],
    ['oci:/x:', 'the part after the path\'s ":" is empty'],
    ['oci:/x:bad tag', 'tag "bad tag" is not valid'],
    ['oci-archive:/x:t\u00e9', 'is not valid'],
    ['docker-archive:a.tar:@-1', 'an image index is written @N'],
    ['docker-archive:a.tar:@x', 'an image index is written @N'],
    ['docker-archive:a.tar:Alpine', 'repository names must be lower-case'],
    [`docker-archive:a.tar:alpine@${DIGEST}`, 'a docker archive is not addressed by digest'],
  ])('refuses %j', (text, message) => {
    expect(() => parseReference(text, 'target')).toThrow(UsageError);
    expect(() => parseReference(text, 'target')).toThrow(message);
  });

  it('splits at the first colon, as skopeo does', () => {
    // A path with a colon cannot be written; the rest becomes the tag.
    expect(parseReference('oci:/tmp/a:b:c', 'source')).toEqual({ transport: 'oci', dir: '/tmp/a', tag: 'b:c' });
  });
});

describe('parseReference: registries', () => {
  const reg = (registry: string, repository: string, tag?: string, digest?: string) => ({
    transport: 'registry',
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  });

  it.each([
    ['alpine', reg('docker.io', 'library/alpine', 'latest')],
    ['docker://alpine', reg('docker.io', 'library/alpine', 'latest')],
    ['alpine:3.19', reg('docker.io', 'library/alpine', '3.19')],
    ['docker:dind', reg('docker.io', 'library/docker', 'dind')],
    ['user/app', reg('docker.io', 'user/app', 'latest')],
    ['index.docker.io/user/app:1', reg('docker.io', 'user/app', '1')],
    ['docker.io/alpine', reg('docker.io', 'library/alpine', 'latest')],
    ['localhost/app', reg('localhost', 'app', 'latest')],
    ['localhost:5000/app:dev', reg('localhost:5000', 'app', 'dev')],
    ['registry:5000/a/b/c', reg('registry:5000', 'a/b/c', 'latest')],
    ['ghcr.io/o/r:v1', reg('ghcr.io', 'o/r', 'v1')],
    [`alpine@${DIGEST}`, reg('docker.io', 'library/alpine', undefined, DIGEST)],
    [`quay.io/a/b:t@${DIGEST}`, reg('quay.io', 'a/b', 't', DIGEST)],
    ['[::1]:5000/app', reg('[::1]:5000', 'app', 'latest')],
    ['a__b/c-d---e.f_g', reg('docker.io', 'a__b/c-d---e.f_g', 'latest')],
  ])('%s', (text, expected) => {
    expect(parseReference(text, 'source')).toEqual(expected);
  });

  it.each([
    ['', 'the image name is empty'],
    ['docker://', 'the image name is empty'],
    ['Alpine', 'repository names must be lower-case'],
    ['alpine:', 'tag "" is not valid'],
    ['alpine:-x', 'tag "-x" is not valid'],
    ['alpine@sha256:123', 'digest "sha256:123" is not sha256:<64 hex>'],
    ['a/-b', 'repository component "-b" is not valid'],
    ['a//b', 'repository component "" is not valid'],
    ['a'.repeat(64), 'a 64-hex image id is not a name'],
    ['-bad.io/x', 'registry "-bad.io" is not a host name'],
    ['./local/dir', 'this looks like a path'],
    ['/abs/dir', 'this looks like a path'],
    ['http://example.com/x', 'transport "http" is not supported'],
    [`x/${'y'.repeat(260)}`, 'longer than 255'],
  ])('refuses %j', (text, message) => {
    let err: unknown;
    try {
      parseReference(text, 'source');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toContain(message);
    expect((err as UsageError).message).toMatch(/^source reference /);
    expect((err as UsageError).hint).toContain('oci-archive:PATH[:TAG]');
  });
});

describe('references that must not reach the network as written', () => {
  it('refuses credentials in a reference without echoing them', () => {
    for (const text of ['docker://alice:s3cret@127.0.0.1:5000/app:v1', 'alice:s3cret@registry.example.com/app:v1']) {
      let message = '';
      try {
        parseReference(text, 'source');
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/credentials in a reference are not supported/);
      expect(message).not.toContain('s3cret');
    }
    expect(parseReference('alpine@sha256:' + 'a'.repeat(64), 'source')).toMatchObject({ transport: 'registry' });
  });

  it('calls a bare name that exists here a path, not a Docker Hub image', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ref-'));
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      await mkdir('adir');
      expect(() => parseReference('adir', 'source')).toThrow(/this looks like a path; say which transport it is, e.g. oci:adir/);
      expect(parseReference('alpine', 'source')).toMatchObject({ transport: 'registry', repository: 'library/alpine' });
    } finally {
      process.chdir(cwd);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
