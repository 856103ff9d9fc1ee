/**
 * The independent answer to "what is the merged tree of this image": skopeo copies
 * the image into an OCI layout (recompressing layers to gzip, which umoci 0.4 needs)
 * and umoci unpacks it into a root file system, applying the overlay rules itself.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { typeFromMode } from '../../src/tree/types.js';

const run = promisify(execFile);

/** RefEntry is what lstat says about one path of the unpacked root file system. */
export interface RefEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  perm: number;
  uid: number;
  gid: number;
  size: number;
  linkTarget: string;
  rdevMajor: number;
  rdevMinor: number;
}

/** Unpacks `reference` (a skopeo transport reference) under `work` and lists it. */
export async function referenceTree(
  reference: string,
  work: string,
): Promise<{ entries: Map<string, RefEntry>; rootfs: string }> {
  const layout = join(work, 'ref-layout');
  await run('skopeo', ['copy', '-q', '--dest-compress', '--dest-compress-format', 'gzip', reference, `oci:${layout}:ref`]);
  const bundle = join(work, 'ref-bundle');
  // The unpacked root file system stays at `${bundle}/rootfs` for content checks.
  await run('umoci', ['unpack', '--image', `${layout}:ref`, bundle]);
  const rootfs = join(bundle, 'rootfs');
  return { entries: await listRootfs(rootfs), rootfs };
}

/** Lists every path below `root` (a root file system, an extraction, a mount point). */
export async function listRootfs(root: string): Promise<Map<string, RefEntry>> {
  const entries = new Map<string, RefEntry>();
  await walk(root, '', entries);
  return entries;
}

/** sha256 (hex) of the file at `path` below `root` (a byte-string path from a listing). */
export async function rootfsFileDigest(root: string, path: string): Promise<string> {
  const hash = createHash('sha256');
  const full = Buffer.concat([Buffer.from(root), Buffer.from(path, 'latin1')]);
  for await (const part of createReadStream(full)) hash.update(part as Buffer);
  return hash.digest('hex');
}

/**
 * Walks with Buffer paths so names that are not UTF-8 survive; keys are byte
 * strings (latin1), as the project's trees use.
 */
async function walk(root: string, rel: string, out: Map<string, RefEntry>): Promise<void> {
  const full = Buffer.concat([Buffer.from(root), Buffer.from(rel === '' ? '' : `/${rel}`, 'latin1')]);
  const st = await lstat(full);
  const path = rel === '' ? '/' : `/${rel}`;
  const type = typeFromMode(st.mode) ?? 'socket';
  const rdev = st.rdev;
  out.set(path, {
    path,
    type,
    perm: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: type === 'file' ? st.size : 0,
    linkTarget: type === 'symlink' ? (await readlink(full, { encoding: 'buffer' })).toString('latin1') : '',
    rdevMajor: type === 'char' || type === 'block' ? Math.floor(rdev / 256) & 0xfff : 0,
    rdevMinor: type === 'char' || type === 'block' ? (rdev & 0xff) | ((rdev >> 12) & 0xfff00) : 0,
  });
  if (type === 'dir') {
    for (const name of await readdir(full, { encoding: 'buffer' })) {
      const n = name.toString('latin1');
      await walk(root, rel === '' ? n : `${rel}/${n}`, out);
    }
  }
}
