import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildTar, padded, paxRecords, tarHeader } from '../../test/helpers/tar-builder.js';
import { readTar } from './tar.js';

const LAYER = 'sha256:stream';
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const PIECE = 64 * 1024;
const BIG = 20 * MiB + 123;

/** Deterministic bytes of the big body, one PIECE at a time. */
function piece(index: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (index * 131 + i * 7) & 0xff;
  return out;
}

function expectedDigest(): string {
  const hash = createHash('sha256');
  for (let at = 0, i = 0; at < BIG; at += PIECE, i++) {
    hash.update(piece(i, Math.min(PIECE, BIG - at)));
  }
  return hash.digest('hex');
}

/**
 * An archive of: a ~20 MB file produced lazily, then a small file. `stats`
 * tracks how far production runs ahead of consumption.
 */
function lazyArchive(stats: { produced: number; consumed: () => number; maxAhead: number }) {
  return (async function* () {
    const emit = (b: Buffer) => {
      stats.produced += b.length;
      stats.maxAhead = Math.max(stats.maxAhead, stats.produced - stats.consumed());
      return b;
    };
    yield emit(tarHeader({ name: 'big.bin', size: BIG }));
    for (let at = 0, i = 0; at < BIG; at += PIECE, i++) {
      yield emit(piece(i, Math.min(PIECE, BIG - at)));
    }
    yield emit(Buffer.alloc(512 - (BIG % 512)));
    yield emit(buildTar([{ path: 'after', data: 'tail' }]));
  })();
}

describe('readTar streaming', () => {
  it('streams a 20 MB body without running ahead of the consumer', async () => {
    let consumed = 0;
    const stats = { produced: 0, consumed: () => consumed, maxAhead: 0 };
    const seen: string[] = [];
    let digest = '';
    for await (const entry of readTar(lazyArchive(stats), LAYER)) {
      seen.push(entry.path);
      const hash = createHash('sha256');
      for await (const chunk of entry.body) {
        expect(chunk.length).toBeLessThanOrEqual(PIECE);
        hash.update(chunk);
        consumed += chunk.length;
      }
      if (entry.path === 'big.bin') {
        expect(entry.size).toBe(BIG);
        digest = hash.digest('hex');
      }
    }
    expect(seen).toEqual(['big.bin', 'after']);
    expect(digest).toBe(expectedDigest());
    // Pull-based: the source is at most one piece (plus a header) ahead.
    expect(stats.maxAhead).toBeLessThanOrEqual(PIECE + 512);
  });

  it('skips an unread 20 MB body and reads the next entry correctly', async () => {
    const stats = { produced: 0, consumed: () => 0, maxAhead: 0 };
    const entries: Array<[string, string]> = [];
    for await (const entry of readTar(lazyArchive(stats), LAYER)) {
      if (entry.path !== 'after') {
        entries.push([entry.path, '']);
        continue;
      }
      const parts: Buffer[] = [];
      for await (const c of entry.body) parts.push(c);
      entries.push([entry.path, Buffer.concat(parts).toString()]);
    }
    expect(entries).toEqual([
      ['big.bin', ''],
      ['after', 'tail'],
    ]);
  });

  it('skips the rest of a partly read body', async () => {
    const tar = buildTar([
      { path: 'a', data: Buffer.alloc(5000, 0x61) },
      { path: 'b', data: 'bee' },
    ]);
    const out: string[] = [];
    for await (const entry of readTar([tar.subarray(0, 700), tar.subarray(700)], LAYER)) {
      for await (const chunk of entry.body) {
        out.push(`${entry.path}:${chunk.toString().slice(0, 3)}`);
        break;
      }
    }
    expect(out).toEqual(['a:aaa', 'b:bee']);
  });

  it('refuses to read a body after the next entry was requested', async () => {
    const tar = buildTar([{ path: 'a', data: 'aaa' }, { path: 'b' }]);
    const it = readTar([tar], LAYER);
    const first = await it.next();
    await it.next();
    const late = async () => {
      for await (const _ of first.value!.body);
    };
    await expect(late()).rejects.toThrow(
      `layer ${LAYER}: entry a: body read after the next entry was requested`,
    );
  });

  it('stops the input when the consumer breaks out early', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        yield buildTar([{ path: 'a' }, { path: 'b' }], { endBlocks: 0 });
        yield Buffer.alloc(512);
      } finally {
        closed = true;
      }
    }
    for await (const entry of readTar(source(), LAYER)) {
      expect(entry.path).toBe('a');
      break;
    }
    expect(closed).toBe(true);
  });
});

describe('readTar sizes beyond 8 GiB and ids beyond 2^21', () => {
  async function firstEntry(parts: Buffer[]) {
    for await (const entry of readTar(parts, LAYER)) return entry;
    throw new Error('no entry');
  }

  it('reads a 9 GiB size and uid 3,000,000 from base-256 fields', async () => {
    const header = tarHeader({ name: 'huge', size: 9 * GiB, uid: 3_000_000, gid: 3_000_001 });
    expect(header[124]).toBe(0x80); // the builder had to use base-256
    expect(header[108]).toBe(0x80);
    const entry = await firstEntry([header]);
    expect(entry).toMatchObject({ path: 'huge', size: 9 * GiB, uid: 3_000_000, gid: 3_000_001 });
  });

  it('reads a 9 GiB size and uid 3,000,000 from PAX records', async () => {
    const records = paxRecords({ size: String(9 * GiB), uid: '3000000' });
    expect(records.toString()).toBe('19 size=9663676416\n15 uid=3000000\n');
    const pax = tarHeader({ name: 'PaxHeaders/huge', typeflag: 'x', size: records.length });
    const header = tarHeader({ name: 'huge', size: 0 });
    const entry = await firstEntry([pax, padded(records), header]);
    expect(entry).toMatchObject({ size: 9 * GiB, uid: 3_000_000 });
  });
});
