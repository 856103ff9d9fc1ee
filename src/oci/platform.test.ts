import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { formatPlatform, hostPlatform, normalizePlatform, parsePlatform, platformMatches } from './platform.js';

describe('hostPlatform', () => {
  it('maps process.arch to the OCI name', () => {
    const expected: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', s390x: 's390x' };
    const host = hostPlatform();
    expect(host.os).toBe('linux');
    if (expected[process.arch] !== undefined) expect(host.architecture).toBe(expected[process.arch]);
    expect(host.variant).toBe(process.arch === 'arm64' ? 'v8' : process.arch === 'arm' ? host.variant : undefined);
  });
});

describe('parsePlatform', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['Linux/X86_64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/arm/6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/amd64/v3', { os: 'linux', architecture: 'amd64', variant: 'v3' }],
  ])('reads %s', (text, platform) => {
    expect(parsePlatform(text)).toEqual(platform);
  });

  it.each(['linux', 'linux/', '/amd64', 'linux/amd64/v8/x', 'linux amd64', ''])('refuses %j', (text) => {
    expect(() => parsePlatform(text)).toThrow(UsageError);
    expect(() => parsePlatform(text)).toThrow(/bad platform/);
  });
});

describe('platformMatches', () => {
  const p = (os: string, architecture: string, variant?: string) =>
    variant === undefined ? { os, architecture } : { os, architecture, variant };

  it.each([
    [p('linux', 'arm64'), p('linux', 'arm64', 'v8'), true],
    [p('linux', 'arm64', 'v8'), p('linux', 'arm64'), true],
    [p('linux', 'aarch64'), p('linux', 'arm64'), true],
    [p('linux', 'arm', 'v6'), p('linux', 'arm'), false],
    [p('linux', 'arm', 'v7'), p('linux', 'arm'), true],
    [p('linux', 'amd64', 'v3'), p('linux', 'amd64'), true],
    [p('linux', 'amd64'), p('linux', 'amd64', 'v3'), false],
    [p('linux', 'amd64'), p('linux', 'arm64'), false],
    [p('windows', 'amd64'), p('linux', 'amd64'), false],
    [p('unknown', 'unknown'), p('linux', 'amd64'), false],
  ])('%j serves %j: %s', (have, want, expected) => {
    expect(platformMatches(have, want)).toBe(expected);
  });

  it('formats with and without a variant', () => {
    expect(formatPlatform(normalizePlatform(p('linux', 'arm64')))).toBe('linux/arm64/v8');
    expect(formatPlatform(p('linux', 'amd64'))).toBe('linux/amd64');
  });
});
