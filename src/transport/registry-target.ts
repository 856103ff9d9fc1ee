/**
 * RegistryTarget pushes one image to a registry.
 *
 * Order, so that the tag only ever names a complete image:
 * 1. each blob (layers, bootstrap, config): HEAD first and skip when present; else
 *    mount from a named repository of the same registry; else upload;
 * 2. `putManifest` keeps the manifest; when another manifest follows (the children
 *    of an index), the earlier one is pushed by digest at once, untagged;
 * 3. `commit()` PUTs the last manifest by tag (or by digest for a digest reference).
 * `abort()` pushes nothing more, so the tag keeps naming what it named before. Blobs
 * already uploaded stay in the repository, unreferenced, until the registry's garbage
 * collection removes them; a rerun finds them by HEAD and does not send them again.
 * Both release the connections; `repository` stays usable for later steps (such as
 * a referrers tag), which reopen them.
 */
import { ImageError } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import { bytesContent, fileContent, headBlob, uploadBlob, type BlobContent } from '../registry/blobs.js';
import { RegistryClient, type RegistryClientOptions } from '../registry/client.js';
import { putManifest } from '../registry/manifests.js';
import { Repository } from '../registry/repository.js';
import type { RegistryLocation } from './registry-source.js';
import type { ImageTarget } from './types.js';

/** sha256 of zero bytes: a blob name that is valid and harmless to ask about. */
const EMPTY_BLOB_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RegistryTargetOptions are the push choices on top of the connection options. */
export interface RegistryTargetOptions extends Omit<RegistryClientOptions, 'side'> {
  /** Upload blobs in PATCH chunks of this many bytes; one PUT each when absent. */
  pushChunkSize?: number;
  /** Repositories of the target registry to mount blobs from, e.g. the source's. */
  mountFrom?: string[];
}

/** PushStats counts what a push sent and what it found already there. */
export interface PushStats {
  blobsUploaded: number;
  bytesUploaded: number;
  blobsSkipped: number;
  bytesSkipped: number;
  blobsMounted: number;
  bytesMounted: number;
  manifestsPushed: number;
}

/** pushStatsOf returns a target's push figures, when it is a target that counts them. */
export function pushStatsOf(target: object): PushStats | undefined {
  return target instanceof RegistryTarget ? target.pushStats : undefined;
}

/** RegistryTarget is an ImageTarget pushing to a registry repository. */
export class RegistryTarget implements ImageTarget {
  /** The repository written to, for callers that need more of the API (referrers). */
  readonly repository: Repository;
  private readonly stats: PushStats = {
    blobsUploaded: 0, bytesUploaded: 0, blobsSkipped: 0, bytesSkipped: 0,
    blobsMounted: 0, bytesMounted: 0, manifestsPushed: 0,
  };
  private pending?: { desc: Descriptor; bytes: Buffer };
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(
    readonly reference: string,
    private readonly location: RegistryLocation,
    private readonly options: RegistryTargetOptions = {},
  ) {
    const client = new RegistryClient(location.registry, { ...options, side: 'target' });
    this.repository = new Repository(client, location.repository);
  }

  /** The figures so far: blobs and bytes uploaded, skipped as present, and mounted. */
  get pushStats(): PushStats {
    return { ...this.stats };
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new ImageError('target', `${this.reference}: target already ${this.state}`);
  }

  async putBlobFile(desc: Descriptor, path: string): Promise<void> {
    await this.putBlob(desc, fileContent(path, desc.size));
  }

  async putBlobBytes(desc: Descriptor, bytes: Buffer): Promise<void> {
    if (bytes.length !== desc.size) {
      const detail = `${bytes.length} bytes where the descriptor says ${desc.size}`;
      throw new ImageError('target', `blob ${desc.digest}: ${detail}`);
    }
    await this.putBlob(desc, bytesContent(bytes));
  }

  /**
   * Asks for a blob no image needs (the empty blob) with push scope: this reaches
   * the registry, runs the auth handshake for writing and fails on refused
   * credentials. A token service that grants pull only still passes here; that
   * shows at the first upload.
   */
  async probe(): Promise<void> {
    this.checkOpen();
    await headBlob(this.repository, EMPTY_BLOB_DIGEST, this.repository.pushScopes);
  }

  private async putBlob(desc: Descriptor, content: BlobContent): Promise<void> {
    this.checkOpen();
    const present = await headBlob(this.repository, desc.digest, this.repository.pushScopes);
    if (present !== undefined) {
      this.stats.blobsSkipped++;
      this.stats.bytesSkipped += desc.size;
      return;
    }
    const outcome = await uploadBlob(this.repository, desc, content, {
      chunkSize: this.options.pushChunkSize,
      mountFrom: this.options.mountFrom,
    });
    if (outcome === 'mounted') {
      this.stats.blobsMounted++;
      this.stats.bytesMounted += desc.size;
    } else {
      this.stats.blobsUploaded++;
      this.stats.bytesUploaded += desc.size;
    }
  }

  async putManifest(desc: Descriptor, bytes: Buffer): Promise<void> {
    this.checkOpen();
    if (this.pending !== undefined) {
      // An earlier manifest is a child of what follows: by digest, so no tag moves.
      await putManifest(this.repository, this.pending.desc.digest, this.pending.bytes, this.pending.desc.mediaType);
      this.stats.manifestsPushed++;
    }
    this.pending = { desc, bytes };
  }

  async commit(): Promise<void> {
    this.checkOpen();
    if (this.pending === undefined) throw new ImageError('target', `${this.reference}: commit before putManifest`);
    const { desc, bytes } = this.pending;
    // With a digest reference the registry's check makes a different manifest fail.
    await putManifest(this.repository, this.location.tag ?? this.location.digest ?? desc.digest, bytes, desc.mediaType);
    this.stats.manifestsPushed++;
    this.state = 'committed';
    await this.repository.client.close();
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.pending = undefined;
    await this.repository.client.close();
  }
}
