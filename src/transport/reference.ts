/**
 * Image references as the user writes them, in skopeo's syntax:
 *
 *   docker-archive:PATH[:NAME:TAG | :@N]   a `docker save` tarball
 *   oci-archive:PATH[:TAG]                  a tar of an OCI layout
 *   oci:DIR[:TAG]                           an OCI layout directory
 *   [docker://]NAME[:TAG][@DIGEST]          a registry
 *
 * For the file transports the text after the transport is split at its first `:`,
 * exactly as skopeo does, so `docker-archive:a.tar:example.com:5000/x:1` is the file
 * `a.tar` and the name `example.com:5000/x:1`. The price is that a PATH cannot
 * contain `:`; such a file is reachable through a symlink or a relative path without
 * the colon. Parsing does no I/O.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { parseDockerName } from './docker-name.js';

/** ImageReference is a parsed reference, one variant per transport. */
export type ImageReference =
  | { transport: 'docker-archive'; path: string; ref?: DockerArchiveRef }
  | { transport: 'oci-archive'; path: string; tag?: string }
  | { transport: 'oci'; dir: string; tag?: string }
  | { transport: 'registry'; registry: string; repository: string; tag?: string; digest?: string };

/**
 * DockerArchiveRef picks an image inside a docker archive: by a name that is matched
 * against the archive's RepoTags after normalisation, or by position (`@N`).
 */
export type DockerArchiveRef = { kind: 'name'; name: string } | { kind: 'index'; index: number };

/** REFERENCE_FORMS lists the accepted forms, for hints. */
export const REFERENCE_FORMS = [
  'docker-archive:PATH[:NAME[:TAG]|:@N]',
  'oci-archive:PATH[:TAG]',
  'oci:DIR[:TAG]',
  '[docker://]NAME[:TAG][@sha256:DIGEST]',
].join(', ');

const FILE_TRANSPORTS = ['docker-archive', 'oci-archive', 'oci'] as const;
// OCI ref.name annotations are free-form in the spec; skopeo accepts this set,
// which covers plain tags and full names like `docker.io/library/alpine:3`.
const OCI_TAG = /^[A-Za-z0-9._:/@+-]+$/;
const INDEX_REF = /^@(\d+)$/;

/** parseReference parses a reference for the source or target side of a run. */
export function parseReference(text: string, side: 'source' | 'target'): ImageReference {
  const shown = JSON.stringify(withoutUserInfo(text));
  const fail = (detail: string): never => {
    throw new UsageError(`${side} reference ${shown}: ${detail}`, {
      hint: `write one of ${REFERENCE_FORMS}`,
    });
  };
  if (hasUserInfo(text)) {
    return fail('credentials in a reference are not supported (and would end up in logs); use ~/.docker/config.json or DOCKER_CONFIG');
  }
  const colon = text.indexOf(':');
  const prefix = colon < 0 ? '' : text.slice(0, colon);
  if ((FILE_TRANSPORTS as readonly string[]).includes(prefix)) {
    return parseFileReference(prefix as (typeof FILE_TRANSPORTS)[number], text.slice(colon + 1), fail);
  }
  if (text.startsWith('docker://')) return parseRegistryReference(text.slice('docker://'.length), fail);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    return fail(`transport ${JSON.stringify(prefix)} is not supported`);
  }
  // A bare `docker:dind` is the image docker.io/library/docker:dind, so only the
  // `://` form above is refused; a path is caught here to give a better message.
  if (/^(\.{0,2}\/|~)/.test(text) || isLocalPath(text)) {
    return fail('this looks like a path; say which transport it is, e.g. oci:' + text);
  }
  return parseRegistryReference(text, fail);
}

/**
 * `user:password@` before the host: an `@` in the first path component with more
 * path after it (`name@sha256:…`, a digest, has none).
 */
const USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)?[^/@\s]+@(?=[^/\s]+\/)/i;

function hasUserInfo(text: string): boolean {
  return USER_INFO.test(text) && !/^(docker-archive|oci-archive|oci):/.test(text);
}

/** The reference with any `user:password@` cut out, for messages. */
function withoutUserInfo(text: string): string {
  return hasUserInfo(text) ? text.replace(USER_INFO, (m, scheme: string | undefined) => `${scheme ?? ''}***@`) : text;
}

/**
 * A bare name that is a file or folder here is almost certainly a path the user
 * forgot the transport of; resolving it as a Docker Hub image would send a lookup
 * for a local name to the network.
 */
function isLocalPath(text: string): boolean {
  if (!/^[^:@]+$/.test(text) || text.includes('/')) return false;
  return existsSync(text);
}

function parseFileReference(
  transport: (typeof FILE_TRANSPORTS)[number],
  rest: string,
  fail: (detail: string) => never,
): ImageReference {
  const colon = rest.indexOf(':');
  const path = colon < 0 ? rest : rest.slice(0, colon);
  const name = colon < 0 ? undefined : rest.slice(colon + 1);
  if (path === '') return fail('the path is empty');
  if (name === '') return fail('the part after the path\'s ":" is empty');
  if (transport === 'docker-archive') {
    return name === undefined
      ? { transport, path }
      : { transport, path, ref: parseDockerArchiveRef(name, fail) };
  }
  if (name !== undefined && !OCI_TAG.test(name)) return fail(`tag ${JSON.stringify(name)} is not valid`);
  if (transport === 'oci') return name === undefined ? { transport, dir: path } : { transport, dir: path, tag: name };
  return name === undefined ? { transport, path } : { transport, path, tag: name };
}

function parseDockerArchiveRef(text: string, fail: (detail: string) => never): DockerArchiveRef {
  const index = INDEX_REF.exec(text);
  if (index !== null) return { kind: 'index', index: Number(index[1]) };
  if (text.startsWith('@')) return fail('an image index is written @N with N a number from 0');
  const parsed = parseDockerName(text);
  if (typeof parsed === 'string') return fail(parsed);
  if (parsed.digest !== undefined) return fail('a docker archive is not addressed by digest');
  return { kind: 'name', name: `${parsed.registry}/${parsed.repository}:${parsed.tag}` };
}

function parseRegistryReference(text: string, fail: (detail: string) => never): ImageReference {
  if (text === '') return fail('the image name is empty');
  const parsed = parseDockerName(text);
  if (typeof parsed === 'string') return fail(parsed);
  return { transport: 'registry', ...parsed };
}

/**
 * Says why writing `target` would destroy `source`, or returns undefined. An
 * oci-archive target replaces its whole file, so it must not be a source archive;
 * any target naming the very image it reads would move that name away from it.
 */
export function overwritesSource(source: ImageReference, target: ImageReference): string | undefined {
  const file = (r: ImageReference) => (r.transport === 'oci' ? undefined : r.transport === 'registry' ? undefined : resolve(r.path));
  if (target.transport === 'oci-archive' && file(source) === resolve(target.path)) {
    return `the target archive ${target.path} is the source archive`;
  }
  if (source.transport === 'oci' && target.transport === 'oci' && resolve(source.dir) === resolve(target.dir) && source.tag === target.tag) {
    return `the target ${target.dir}${target.tag ? `:${target.tag}` : ''} is the source image`;
  }
  if (
    source.transport === 'registry' && target.transport === 'registry' &&
    source.registry === target.registry && source.repository === target.repository &&
    source.tag === target.tag && source.digest === undefined && target.digest === undefined
  ) {
    return `the target ${target.registry}/${target.repository}:${target.tag} is the source image`;
  }
  return undefined;
}

/**
 * withTagSuffix returns the reference text of `source` with `suffix` appended to its
 * tag, for `--target-suffix`: `reg/app:v1` + `-nydus` is `reg/app:v1-nydus`, and
 * `oci:DIR:v1` is `oci:DIR:v1-nydus`. A registry reference without a tag is taken
 * as `:latest`. A digest reference, an untagged layout or archive, and a docker
 * archive (never a target) are usage errors.
 */
export function withTagSuffix(sourceText: string, suffix: string): string {
  const ref = parseReference(sourceText, 'source');
  const fail = (why: string): never => {
    throw new UsageError(`--target-suffix: the source ${JSON.stringify(sourceText)} ${why}`, {
      hint: 'give --target instead',
    });
  };
  switch (ref.transport) {
    case 'registry':
      if (ref.digest !== undefined && ref.tag === undefined) return fail('is named by digest, so has no tag to extend');
      return `${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'}${suffix}`;
    case 'oci':
      return ref.tag === undefined ? fail('has no tag') : `oci:${ref.dir}:${ref.tag}${suffix}`;
    case 'oci-archive':
      return ref.tag === undefined ? fail('has no tag') : `oci-archive:${ref.path}:${ref.tag}${suffix}`;
    case 'docker-archive':
      return fail('is a docker archive, which cannot be a target');
  }
}
