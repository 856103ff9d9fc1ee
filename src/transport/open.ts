/**
 * openSource and openTarget: from the reference text the user wrote to the transport
 * that serves it. Nothing is opened on disk until the first call on the result.
 */
import { ImageError, UsageError } from '../errors.js';
import type { RetryPolicy } from '../registry/retry.js';
import { DockerArchiveSource } from './docker-archive-source.js';
import { DirTree, TarTree } from './file-tree.js';
import { LayoutSource } from './layout-source.js';
import { LayoutTarget } from './layout-target.js';
import { OciArchiveTarget } from './oci-archive-target.js';
import { parseReference } from './reference.js';
import { RegistrySource } from './registry-source.js';
import { RegistryTarget, type RegistryTargetOptions } from './registry-target.js';
import type { ImageSetSource } from './image-set.js';
import type { ImageTarget } from './types.js';

/**
 * OpenOptions are the connection choices for registry references; file
 * references ignore them. See RegistryClient for how http and https are chosen.
 */
export interface OpenOptions {
  /** Skip TLS certificate checks, and fall back to http when https cannot connect. */
  insecure?: boolean;
  /** Talk http to the registry. */
  plainHttp?: boolean;
  /** Targets: upload blobs in PATCH chunks of this many bytes. */
  pushChunkSize?: number;
  /** Targets: repositories of the same registry to mount blobs from. */
  mountFrom?: string[];
  /** Overrides of the retry bounds (attempts, total time, backoff). */
  retry?: Partial<RetryPolicy>;
  /** Environment for DOCKER_CONFIG and credential helpers; default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Sources: the role the image plays in the command, for error messages. `check`
   * reads its --target through a source; its failures should say "target".
   */
  side?: 'source' | 'target';
}

function clientOptions(opts: OpenOptions): RegistryTargetOptions {
  return { insecure: opts.insecure, plainHttp: opts.plainHttp, retry: opts.retry, env: opts.env };
}

/** openSource returns the ImageSource for a reference such as `oci:./dir:latest`. */
export function openSource(text: string, opts: OpenOptions = {}): ImageSetSource {
  const side = opts.side ?? 'source';
  const ref = parseReference(text, side);
  switch (ref.transport) {
    case 'oci':
      return relabel(new LayoutSource(text, new DirTree(ref.dir), ref.tag), side);
    case 'oci-archive':
      return relabel(new LayoutSource(text, new TarTree(ref.path), ref.tag), side);
    case 'docker-archive':
      return relabel(new DockerArchiveSource(text, new TarTree(ref.path), ref.ref), side);
    case 'registry':
      return new RegistrySource(text, ref, { ...clientOptions(opts), side });
  }
}

/**
 * File sources name themselves "source" in their errors; read in another role they
 * are relabelled at this one boundary rather than in every helper they call.
 */
function relabel(source: ImageSetSource, side: 'source' | 'target'): ImageSetSource {
  if (side === 'source') return source;
  const again = (err: unknown): never => {
    if (err instanceof ImageError && err.side === 'source') {
      throw new ImageError(side, err.message.slice('source: '.length), { cause: err, hint: err.hint });
    }
    throw err;
  };
  return {
    reference: source.reference,
    resolve: (choice) => source.resolve(choice).catch(again),
    resolveAll: (choice) => source.resolveAll(choice).catch(again),
    openBlob: (desc) => source.openBlob(desc).catch(again),
    close: () => source.close(),
  };
}

/** openTarget returns the ImageTarget for a reference such as `oci-archive:out.tar:v1`. */
export function openTarget(text: string, opts: OpenOptions = {}): ImageTarget {
  const ref = parseReference(text, 'target');
  switch (ref.transport) {
    case 'oci':
      return new LayoutTarget(text, ref.dir, ref.tag);
    case 'oci-archive':
      return new OciArchiveTarget(text, ref.path, ref.tag);
    case 'docker-archive':
      throw new UsageError(`reference ${JSON.stringify(text)}: docker-archive is a source only`, {
        hint: 'write the result as oci:DIR[:TAG] or oci-archive:PATH[:TAG]',
      });
    case 'registry':
      return new RegistryTarget(text, ref, {
        ...clientOptions(opts),
        pushChunkSize: opts.pushChunkSize,
        mountFrom: opts.mountFrom,
      });
  }
}

/**
 * mountSources lists the repositories a target may mount blobs from: the source's
 * repository when source and target are references to the same registry, else
 * none. Pass the result as `mountFrom` to openTarget.
 */
export function mountSources(sourceText: string, targetText: string): string[] {
  const source = parseReference(sourceText, 'source');
  const target = parseReference(targetText, 'target');
  if (source.transport !== 'registry' || target.transport !== 'registry') return [];
  if (source.registry !== target.registry || source.repository === target.repository) return [];
  return [source.repository];
}
