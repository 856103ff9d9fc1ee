/**
 * Runs the real EROFS tools (erofs-utils: fsck.erofs, dump.erofs) over a bootstrap,
 * the independent reader that every converted image is checked with.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Creates one empty placeholder device file per blob; metadata checks read none. */
export async function placeholderDevices(dir: string, count: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `placeholder-${i}`);
    await writeFile(path, '');
    paths.push(path);
  }
  return paths;
}

/** Runs `fsck.erofs` with one --device per blob; resolves with its output, rejects on failure. */
export async function fsckErofs(boot: string, devices: string[]): Promise<string> {
  const args = [...devices.map((d) => `--device=${d}`), boot];
  const { stdout, stderr } = await run('fsck.erofs', args, { maxBuffer: 64 << 20 });
  return stdout + stderr;
}

/** One directory entry as `dump.erofs --ls` shows it. */
export interface ErofsEntry {
  path: string;
  nid: number;
  /** EROFS file type: 1 reg, 2 dir, 3 chr, 4 blk, 5 fifo, 6 sock, 7 symlink. */
  type: number;
}

/** Lists the whole tree by running `dump.erofs --ls` on every directory. */
export async function dumpErofsTree(boot: string, devices: string[]): Promise<ErofsEntry[]> {
  const entries: ErofsEntry[] = [];
  const queue = ['/'];
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    const args = [...devices.map((d) => `--device=${d}`), '--ls', `--path=${dir}`, boot];
    const { stdout } = await run('dump.erofs', args, { maxBuffer: 64 << 20, encoding: 'latin1' });
    const at = stdout.indexOf('FILENAME\n');
    if (at < 0) throw new Error(`dump.erofs --ls ${dir}: no listing in output:\n${stdout}`);
    for (const line of stdout.slice(at + 'FILENAME\n'.length).split('\n')) {
      const m = /^\s*(\d+)\s+(\d+)\s{2}(.*)$/.exec(line);
      if (!m) continue;
      const name = m[3] as string;
      if (name === '.' || name === '..') continue;
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      const type = Number(m[2]);
      entries.push({ path, nid: Number(m[1]), type });
      if (type === 2) queue.push(path);
    }
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
