/**
 * Docker image names: parsing `[registry/]repository[:tag][@digest]` and normalising
 * it the way the Docker CLI and skopeo do (`alpine` is
 * `docker.io/library/alpine:latest`).
 *
 * The grammar is that of the distribution project's `reference` package:
 * a registry is the first path component when it contains `.` or `:` or is
 * `localhost`; repository components are lower-case alphanumerics joined by `.`,
 * `_`, `__` or runs of `-`; a tag is `[\w][\w.-]{0,127}`.
 * References: https://github.com/distribution/reference/blob/main/reference.go
 */
import { isDigest } from '../oci/digest.js';

/** DOCKER_HUB is the registry a name without one refers to. */
export const DOCKER_HUB = 'docker.io';
/** DEFAULT_TAG is the tag a name without tag or digest refers to. */
export const DEFAULT_TAG = 'latest';

const MAX_NAME_LENGTH = 255;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const HEX_ID = /^[a-f0-9]{64}$/;

/** DockerName is a parsed, normalised image name. */
export interface DockerName {
  /** Registry host with optional port, `docker.io` for Docker Hub. */
  registry: string;
  /** Repository path, with `library/` for official Docker Hub images. */
  repository: string;
  tag?: string;
  digest?: string;
}

/**
 * parseDockerName parses and normalises an image name, adding the `latest` tag when
 * neither tag nor digest is given. It returns an error string instead of throwing,
 * so callers can wrap it in the error type of their context.
 */
export function parseDockerName(text: string): DockerName | string {
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) return `digest ${JSON.stringify(digest)} is not sha256:<64 hex>`;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return `tag ${JSON.stringify(tag)} is not valid`;
  }
  if (rest === '') return 'the repository name is empty';
  if (rest.length > MAX_NAME_LENGTH) return `the name is longer than ${MAX_NAME_LENGTH} characters`;
  if (HEX_ID.test(rest)) return 'a 64-hex image id is not a name';
  const { registry, path } = splitRegistry(rest);
  if (!DOMAIN.test(registry)) return `registry ${JSON.stringify(registry)} is not a host name`;
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      return /[A-Z]/.test(component)
        ? 'repository names must be lower-case'
        : `repository component ${JSON.stringify(component)} is not valid`;
    }
  }
  const repository = registry === DOCKER_HUB && !path.includes('/') ? `library/${path}` : path;
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  const name: DockerName = { registry, repository };
  if (tag !== undefined) name.tag = tag;
  if (digest !== undefined) name.digest = digest;
  return name;
}

/** Splits off the registry: the first component, if it looks like a host. */
function splitRegistry(name: string): { registry: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (slash < 0 || (!first.includes('.') && !first.includes(':') && first !== 'localhost')) {
    return { registry: DOCKER_HUB, path: name };
  }
  const registry = first === 'index.docker.io' ? DOCKER_HUB : first;
  return { registry, path: name.slice(slash + 1) };
}

/** formatDockerName writes a normalised name back as `registry/repo[:tag][@digest]`. */
export function formatDockerName(name: DockerName): string {
  const tag = name.tag === undefined ? '' : `:${name.tag}`;
  const digest = name.digest === undefined ? '' : `@${name.digest}`;
  return `${name.registry}/${name.repository}${tag}${digest}`;
}
