/**
 * The OCI image vocabulary: descriptors, manifests, indexes and media types. No I/O.
 */

/** A content digest, `sha256:<64 hex>`. */
export type Digest = string;

/** Descriptor names a piece of content by media type, digest and size. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
  urls?: string[];
}

/** Platform picks an image out of an index. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** Manifest is an OCI image manifest or a Docker schema2 manifest. */
export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** Index is an OCI image index or a Docker manifest list. */
export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export const MEDIA_TYPE = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  nydusBlob: 'application/vnd.oci.image.layer.nydus.blob.v1',
} as const;

/** Annotation keys that mark Nydus layers and images. */
export const NYDUS_ANNOTATION = {
  blob: 'containerd.io/snapshot/nydus-blob',
  bootstrap: 'containerd.io/snapshot/nydus-bootstrap',
  fsVersion: 'containerd.io/snapshot/nydus-fs-version',
  sourceDigest: 'containerd.io/snapshot/nydus-source-digest',
  sourceReference: 'containerd.io/snapshot/nydus-source-reference',
} as const;

/** Returns true for an index or manifest-list media type. */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPE.ociIndex || mediaType === MEDIA_TYPE.dockerManifestList;
}
