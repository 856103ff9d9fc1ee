/**
 * Repository names one repository of a registry together with the client that
 * reaches it, and says which token scopes its reads and writes need. The API
 * modules (manifests, blobs, referrers) take a Repository.
 */
import { repositoryScope } from './auth.js';
import type { RegistryClient } from './client.js';

/** Repository is `client.registry/name`. */
export class Repository {
  constructor(
    readonly client: RegistryClient,
    /** Repository path, e.g. `library/alpine`. */
    readonly name: string,
  ) {}

  /** The scopes for reading. */
  get pullScopes(): string[] {
    return [repositoryScope(this.name, 'pull')];
  }

  /** The scopes for writing (which include reading). */
  get pushScopes(): string[] {
    return [repositoryScope(this.name, 'pull,push')];
  }

  /** path builds `/v2/<name>/<rest>`. */
  path(rest: string): string {
    return `/v2/${this.name}/${rest}`;
  }

  /** The repository as people write it, `registry/name`. */
  toString(): string {
    return `${this.client.registry}/${this.name}`;
  }
}
