/**
 * A whole conversion with worker threads against one without: a real image (from
 * ../shared/fixtures) and the project's layered fixture (whiteouts, hardlinks) must give the same manifest digest, so every blob, the
 * bootstrap and the config are byte for byte the same.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource, openTarget } from '../transport/open.js';
import { convertImage } from './convert.js';

const SHARED = fileURLToPath(new URL('../../../shared/fixtures/images/', import.meta.url));
const OWN = fileURLToPath(new URL('../../fixtures/images/', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convert-threads-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function convert(source: string, threads: number, chunkSize: number): Promise<string> {
  const src = openSource(source);
  try {
    const out = join(dir, `out-${threads}-${chunkSize}-${Math.random().toString(36).slice(2)}`);
    const result = await convertImage(src, openTarget(`oci:${out}:t`), {
      chunkSize,
      compressor: 'zstd',
      digester: 'blake3',
      threads,
    });
    return result.target.manifestDigest;
  } finally {
    await src.close();
  }
}

describe('convertImage with worker threads', () => {
  const sources = [
    `docker-archive:${SHARED}alpine-3.docker.tar`,
    `oci-archive:${OWN}layered.oci.tar`,
  ];
  it.each(sources)('gives the same image as without workers: %s', async (source) => {
    // 4 KiB chunks: many chunks per file and many files per batch.
    for (const chunkSize of [0x1000, 0x100000]) {
      const without = await convert(source, 0, chunkSize);
      expect(await convert(source, 1, chunkSize)).toBe(without);
      expect(await convert(source, 3, chunkSize)).toBe(without);
    }
  });
});
