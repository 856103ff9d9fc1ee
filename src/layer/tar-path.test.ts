import { describe, expect, it } from 'vitest';
import { normalisePath } from './tar-path.js';

describe('normalisePath', () => {
  it.each([
    ['etc/passwd', 'etc/passwd'],
    ['./etc/passwd', 'etc/passwd'],
    ['/etc/passwd', 'etc/passwd'],
    ['etc//x/./passwd/', 'etc/x/passwd'],
    ['./', ''],
    ['/', ''],
    ['.', ''],
    ['', ''],
    ['a/../b', 'b'],
    ['a/b/../../c', 'c'],
    ['a/..', ''],
    ['...', '...'],
    ['..a/b..', '..a/b..'],
    ['\xe9\xff/\x80', '\xe9\xff/\x80'],
  ])('%j → %j', (raw, want) => {
    expect(normalisePath(raw)).toBe(want);
  });

  it.each(['..', '../x', 'a/../../x', '/../x', './..', 'a/b/../../../c'])(
    'refuses %j, which climbs out of the root',
    (raw) => {
      expect(normalisePath(raw)).toBeNull();
    },
  );
});
