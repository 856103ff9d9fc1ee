import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compress as zstdCompress } from 'zstd-napi';
import { buildTar, chunked } from '../../test/helpers/tar-builder.js';
import { DEFAULT_MAX_LAYER_BYTES, openLayer } from './decompress.js';
import { sniffCompression } from './sniff.js';
import { readTar } from './tar.js';
import { ZSTD_OUT_SIZE } from './zstd-stream.js';

const LAYER = 'sha256:blob';

const TAR = buildTar([
  { path: 'etc', type: 'dir' },
  { path: 'etc/hosts', data: '127.0.0.1 localhost\n', xattrs: { 'user.k': Buffer.from([0, 255]) } },
  { path: 'etc/big', data: Buffer.alloc(300_000, 0x5a) },
  { path: 'etc/link', type: 'symlink', linkTarget: 'hosts' },
]);

function source(data: Buffer, slice = 1000): Readable {
  return Readable.from(chunked(data, slice), { objectMode: false });
}

async function drain(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function entriesOf(blob: Buffer, slice = 1000) {
  const tar = await openLayer(source(blob, slice), LAYER);
  const out: Array<[string, string, string]> = [];
  for await (const e of readTar(tar, LAYER)) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c);
    out.push([e.path, e.type, Buffer.concat(parts).toString('hex')]);
  }
  return out;
}

/** Splits `data` into `n` pieces and compresses each on its own (members / frames). */
function pieces(data: Buffer, n: number, compress: (b: Buffer) => Buffer): Buffer {
  const step = Math.ceil(data.length / n);
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += step) parts.push(compress(data.subarray(at, at + step)));
  return Buffer.concat(parts);
}

async function layerError(blob: Buffer | Readable, opts = {}): Promise<Error & { code: string }> {
  const raw = Buffer.isBuffer(blob) ? source(blob) : blob;
  try {
    await drain(await openLayer(raw, LAYER, opts));
  } catch (err) {
    return err as Error & { code: string };
  }
  throw new Error('expected a failure');
}

describe('sniffCompression', () => {
  it.each([
    [[0x1f, 0x8b, 0x08, 0x00], 'gzip'],
    [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
    [[0x28, 0xb5, 0x2f], 'none'],
    [[0x1f], 'none'],
    [[], 'none'],
    [[0x2e, 0x2f, 0x00, 0x00], 'none'],
  ])('%j is %s', (bytes, kind) => {
    expect(sniffCompression(Buffer.from(bytes))).toBe(kind);
  });
});

describe('openLayer', () => {
  it('relies on Node zlib reading concatenated gzip members', () => {
    const two = Buffer.concat([gzipSync('hello '), gzipSync('world')]);
    expect(gunzipSync(two).toString()).toBe('hello world');
  });

  it('gives identical entries for plain, multi-member gzip and multi-frame zstd', async () => {
    const plain = await entriesOf(TAR);
    expect(plain.map((e) => e.slice(0, 2))).toEqual([
      ['etc', 'dir'],
      ['etc/hosts', 'file'],
      ['etc/big', 'file'],
      ['etc/link', 'symlink'],
    ]);
    const gzip = pieces(TAR, 3, (b) => gzipSync(b));
    expect(gzip.indexOf(Buffer.from([0x1f, 0x8b]), 10)).toBeGreaterThan(0);
    expect(await entriesOf(gzip)).toEqual(plain);
    expect(await entriesOf(gzip, 1)).toEqual(plain);
    expect(await entriesOf(zstdCompress(TAR))).toEqual(plain);
    expect(await entriesOf(pieces(TAR, 4, (b) => zstdCompress(b)), 3)).toEqual(plain);
  });

  it('turns a zero-byte layer into an empty stream', async () => {
    expect((await drain(await openLayer(source(Buffer.alloc(0)), LAYER))).length).toBe(0);
    expect(await entriesOf(Buffer.alloc(0))).toEqual([]);
  });

  it('passes a plain stream through byte for byte', async () => {
    expect((await drain(await openLayer(source(TAR, 7), LAYER))).equals(TAR)).toBe(true);
  });

  it('yields zstd output in bounded pieces, even for highly compressible data', async () => {
    const zeros = zstdCompress(Buffer.alloc(64 * 1024 * 1024));
    expect(zeros.length).toBeLessThan(10_000);
    const stream = await openLayer(source(zeros, zeros.length), LAYER);
    let total = 0;
    for await (const chunk of stream) {
      expect((chunk as Buffer).length).toBeLessThanOrEqual(ZSTD_OUT_SIZE);
      total += (chunk as Buffer).length;
    }
    expect(total).toBe(64 * 1024 * 1024);
  });

  it('names the layer when gzip data is corrupt or truncated', async () => {
    const gz = gzipSync(TAR);
    const corrupt = Buffer.from(gz);
    for (let i = 20; i < 60; i++) corrupt[i] ^= 0x55;
    const err = await layerError(corrupt);
    expect(err.code).toBe('ERR_LAYER');
    expect(err.message).toMatch(/^layer sha256:blob: corrupt gzip data: /);
    const cut = await layerError(gz.subarray(0, gz.length - 100));
    expect(cut.message).toBe('layer sha256:blob: corrupt gzip data: unexpected end of file');
  });

  it('names the layer when zstd data is corrupt or truncated', async () => {
    const zst = zstdCompress(TAR);
    const corrupt = Buffer.from(zst);
    for (let i = 12; i < 40; i++) corrupt[i] ^= 0x55;
    expect((await layerError(corrupt)).message).toMatch(/^layer sha256:blob: corrupt zstd data: /);
    const cut = await layerError(zst.subarray(0, zst.length - 10));
    expect(cut.message).toBe(
      'layer sha256:blob: truncated zstd data: zstd data ends inside a frame',
    );
  });

  it('enforces the uncompressed size limit', async () => {
    expect(DEFAULT_MAX_LAYER_BYTES).toBe(256 * 1024 ** 3);
    const err = await layerError(gzipSync(TAR), { maxBytes: 10_000 });
    expect(err.message).toBe('layer sha256:blob: uncompressed size exceeds 10000 bytes');
  });

  it('reports a failing source as a read failure, not as corruption', async () => {
    const broken = new Readable({
      read() {
        this.push(gzipSync(TAR).subarray(0, 100));
        this.destroy(new Error('socket hang up'));
      },
    });
    const err = await layerError(broken);
    expect(err.message).toBe('layer sha256:blob: reading blob failed: socket hang up');
  });
});
