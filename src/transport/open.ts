/**
 * openSource and openTarget: from the reference text the user wrote to the transport
 * that serves it. Nothing is opened on disk until the first call on the result.
 */
import { UsageError } from '../errors.js';
import { DockerArchiveSource } from './docker-archive-source.js';
import { DirTree, TarTree } from './file-tree.js';
import { LayoutSource } from './layout-source.js';
import { LayoutTarget } from './layout-target.js';
import { OciArchiveTarget } from './oci-archive-target.js';
import { parseReference } from './reference.js';
import type { ImageSource, ImageTarget } from './types.js';

function registryUnsupported(text: string): UsageError {
  return new UsageError(`reference ${JSON.stringify(text)}: registries are not supported yet`, {
    hint: 'use oci:DIR[:TAG], oci-archive:PATH[:TAG] or docker-archive:PATH (for example from skopeo copy)',
  });
}

/** openSource returns the ImageSource for a reference such as `oci:./dir:latest`. */
export function openSource(text: string): ImageSource {
  const ref = parseReference(text, 'source');
  switch (ref.transport) {
    case 'oci':
      return new LayoutSource(text, new DirTree(ref.dir), ref.tag);
    case 'oci-archive':
      return new LayoutSource(text, new TarTree(ref.path), ref.tag);
    case 'docker-archive':
      return new DockerArchiveSource(text, new TarTree(ref.path), ref.ref);
    case 'registry':
      throw registryUnsupported(text);
  }
}

/** openTarget returns the ImageTarget for a reference such as `oci-archive:out.tar:v1`. */
export function openTarget(text: string): ImageTarget {
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
      throw registryUnsupported(text);
  }
}
