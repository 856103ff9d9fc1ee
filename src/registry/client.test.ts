import { describe, expect, it } from 'vitest';
import { scopeKey } from './auth.js';
import { withDigest } from './blobs.js';
import { isLoopbackHost } from './client.js';
import { fallbackTag } from './referrers.js';

describe('small protocol helpers', () => {
  it('treats localhost, 127/8 and ::1 as loopback, with or without a port', () => {
    expect(['localhost', 'localhost:5000', '127.0.0.1', '127.1.2.3:443', '[::1]:5000'].every(isLoopbackHost)).toBe(true);
    expect(['reg.example', '10.0.0.1:5000', 'localhost.example', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
  });

  it('adds digest= to an upload location, keeping its state', () => {
    const loc = new URL('http://r:5000/v2/a/blobs/uploads/u1?_state=s%3D');
    expect(withDigest(loc, 'sha256:ab').toString()).toBe('http://r:5000/v2/a/blobs/uploads/u1?_state=s%3D&digest=sha256%3Aab');
    expect(new URL('/v2/a/blobs/uploads/u2', 'http://r:5000/v2/a/blobs/uploads/').toString()).toBe('http://r:5000/v2/a/blobs/uploads/u2');
  });

  it('keys tokens by the set of scopes', () => {
    expect(scopeKey(['repository:b:pull', 'repository:a:pull,push', 'repository:b:pull'])).toBe('repository:a:pull,push repository:b:pull');
  });

  it('names the referrers tag after the subject digest', () => {
    expect(fallbackTag(`sha256:${'ab'.repeat(32)}`)).toBe(`sha256-${'ab'.repeat(32)}`);
    expect(() => fallbackTag('sha512:00')).toThrow(/only sha256/);
  });
});
