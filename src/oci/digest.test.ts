import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { DigestMismatchError, FormatError } from '../errors.js';
import { isDigest, parseDigest, sha256Digest, verifyStream } from './digest.js';

// sha256("abc") from FIPS 180-2, appendix B.1.
const ABC = 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Feeds bytes in odd-sized slices, as a network or file stream would. */
function sliced(bytes: Buffer, step = 3): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += step) parts.push(bytes.subarray(i, i + step));
  return Readable.from(parts);
}

describe('sha256Digest', () => {
  it('matches the published test vectors', () => {
    expect(sha256Digest(Buffer.from('abc'))).toBe(ABC);
    expect(sha256Digest(Buffer.alloc(0))).toBe(EMPTY);
  });
});

describe('parseDigest', () => {
  it('splits a good digest', () => {
    expect(parseDigest(ABC)).toEqual({ algorithm: 'sha256', hex: ABC.slice(7) });
    expect(isDigest(ABC)).toBe(true);
  });

  it.each([
    ['sha256:' + 'A'.repeat(64), /64 lower-case hex/],
    ['sha256:abc', /64 lower-case hex/],
    ['sha512:' + 'a'.repeat(128), /only sha256/],
    [ABC.slice(7), /only sha256/],
    ['', /only sha256/],
  ])('refuses %j', (text, message) => {
    expect(() => parseDigest(text)).toThrow(FormatError);
    expect(() => parseDigest(text)).toThrow(message);
    expect(isDigest(text)).toBe(false);
  });
});

describe('verifyStream', () => {
  const bytes = Buffer.from('abc');

  it('passes the bytes through when size and digest agree', async () => {
    const out = await buffer(verifyStream(sliced(bytes, 1), { mediaType: 'x', digest: ABC, size: 3 }, 'test'));
    expect(out.toString()).toBe('abc');
  });

  it('passes an empty blob', async () => {
    const out = await buffer(verifyStream(Readable.from([]), { mediaType: 'x', digest: EMPTY, size: 0 }, 'e'));
    expect(out.length).toBe(0);
  });

  it('fails at EOF on a digest mismatch of the same size', async () => {
    const wrong = Buffer.from('abd');
    const stream = verifyStream(sliced(wrong), { mediaType: 'x', digest: ABC, size: 3 }, 'layer L');
    const err = await buffer(stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect((err as DigestMismatchError).message).toBe(
      `layer L: digest mismatch: expected ${ABC}, got ${sha256Digest(wrong)}`,
    );
  });

  it('fails on a short stream', async () => {
    const stream = verifyStream(sliced(Buffer.from('ab')), { mediaType: 'x', digest: ABC, size: 3 }, 'b');
    await expect(buffer(stream)).rejects.toThrow('b: digest mismatch: expected 3 bytes, got 2 bytes');
  });

  it('fails on trailing data without reading it all', async () => {
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled += 1;
        this.push(Buffer.alloc(1024, 1));
      },
    });
    const stream = verifyStream(endless, { mediaType: 'x', digest: ABC, size: 3 }, 'c');
    await expect(buffer(stream)).rejects.toThrow('c: digest mismatch: expected 3 bytes, got more than 3 bytes');
    // The source's read-ahead buffer (16 KiB) may fill, but reading then stops.
    expect(pulled).toBeLessThan(64);
    expect(endless.destroyed).toBe(true);
  });

  it('forwards errors of the wrapped stream', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk on fire'));
      },
    });
    const stream = verifyStream(failing, { mediaType: 'x', digest: ABC, size: 3 }, 'd');
    await expect(buffer(stream)).rejects.toThrow('disk on fire');
  });

  it('refuses a descriptor with a bad digest or size up front', () => {
    expect(() => verifyStream(Readable.from([]), { mediaType: 'x', digest: 'md5:00', size: 0 }, 'e')).toThrow(
      FormatError,
    );
    expect(() => verifyStream(Readable.from([]), { mediaType: 'x', digest: ABC, size: -1 }, 'e')).toThrow(
      /bad size -1/,
    );
  });
});
