/**
 * The bootstrap layer: a gzip tar holding `image/image.boot`, the layer that marks
 * an image as Nydus (nydus-snapshotter extracts the bootstrap from it).
 */
import { gzipSync } from 'node:zlib';
import { sha256Digest } from '../oci/digest.js';
import { pack } from 'tar-stream';

/** Path of the merged bootstrap inside the bootstrap layer. */
export const BOOTSTRAP_PATH = 'image/image.boot';

/** BootstrapLayer is the gzip tar and the digests a manifest and config need. */
export interface BootstrapLayer {
  /** gzip-compressed tar bytes (the layer blob). */
  bytes: Buffer;
  /** sha256 of the compressed bytes: the layer digest. */
  digest: string;
  /** sha256 of the uncompressed tar: the config diff_id. */
  diffId: string;
}

/**
 * Packs the merged bootstrap, and each blob's `blob.meta` cache file (see
 * src/blob/meta-cache.ts) as `image/<blob id>.blob.meta`, as nydusify does. Deterministic: fixed mtime 0, root-owned entries, and
 * gzip without a timestamp, so the same bootstrap always gives the same digest.
 */
export async function buildBootstrapLayer(
  bootstrap: Buffer,
  blobMetas: ReadonlyArray<{ blobId: string; data: Buffer }> = [],
): Promise<BootstrapLayer> {
  const tar = await packTar([
    { name: 'image/', type: 'directory', mode: 0o755 },
    { name: BOOTSTRAP_PATH, type: 'file', mode: 0o444, data: bootstrap },
    ...blobMetas.map((m) => ({ name: `image/${m.blobId}.blob.meta`, type: 'file' as const, mode: 0o444, data: m.data })),
  ]);
  const bytes = gzipSync(tar, { level: 6 });
  return { bytes, digest: sha256Digest(bytes), diffId: sha256Digest(tar) };
}

interface PackEntry {
  name: string;
  type: 'file' | 'directory';
  mode: number;
  data?: Buffer;
}

async function packTar(entries: PackEntry[]): Promise<Buffer> {
  const p = pack();
  const parts: Buffer[] = [];
  p.on('data', (b: unknown) => parts.push(b as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    const header = { name: e.name, type: e.type, mode: e.mode, mtime: new Date(0), uid: 0, gid: 0 };
    await new Promise<void>((resolve, reject) =>
      p.entry(e.type === 'file' ? { ...header, size: e.data?.length ?? 0 } : header, e.data ?? Buffer.alloc(0), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
  p.finalize();
  await done;
  return Buffer.concat(parts);
}
