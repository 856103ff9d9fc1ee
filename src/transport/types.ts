/**
 * Transports: where images live. A source yields one image's manifest, config and
 * layer streams; a target stores blobs and finally a manifest, atomically.
 * Registry, OCI layout, OCI archive and docker archive all implement these, so the
 * converter never knows which one it talks to.
 */
import type { Readable } from 'node:stream';
import type { Descriptor, Manifest, Platform } from '../oci/types.js';

/** PlatformChoice selects an image out of an index. */
export interface PlatformChoice {
  /** Wanted platform; undefined means the host's (linux/<arch>). */
  platform?: Platform;
}

/** SourceImage is one resolved image: its manifest, config and where they came from. */
export interface SourceImage {
  /** The manifest as stored, for digesting and referrer subjects. */
  manifestBytes: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  manifest: Manifest;
  /** The image config as stored. */
  configBytes: Buffer;
  /** The platform this image was picked for, when it came from an index. */
  platform?: Platform;
}

/** ImageSource reads one image from a transport. */
export interface ImageSource {
  /** The reference as the user wrote it, for messages. */
  readonly reference: string;
  /** Resolves the image, choosing a platform when the reference names an index. */
  resolve(choice?: PlatformChoice): Promise<SourceImage>;
  /** Opens a blob for reading; the stream fails at its end if size or digest differ. */
  openBlob(desc: Descriptor): Promise<Readable>;
  /** Releases files and connections. */
  close(): Promise<void>;
}

/** ImageTarget writes one image to a transport; nothing is visible until commit. */
export interface ImageTarget {
  readonly reference: string;
  /**
   * Checks, where that is cheap, that the target can be reached and written (a
   * registry answers and takes the credentials), so that a run fails before its
   * conversion work rather than after it.
   */
  probe?(): Promise<void>;
  /** Stores a blob from a file whose digest and size the descriptor states. */
  putBlobFile(desc: Descriptor, path: string): Promise<void>;
  /** Stores a small blob held in memory (configs, manifests' dependents). */
  putBlobBytes(desc: Descriptor, bytes: Buffer): Promise<void>;
  /** Stores the manifest and names it with the target's tag; the last step of a push. */
  putManifest(desc: Descriptor, bytes: Buffer): Promise<void>;
  /** Makes everything written visible at the target, atomically where the medium allows. */
  commit(): Promise<void>;
  /** Discards everything written; the target is left as it was. */
  abort(): Promise<void>;
}
