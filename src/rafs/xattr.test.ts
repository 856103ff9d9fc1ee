import { describe, expect, test } from 'vitest';
import { FormatError, NydusifyError } from '../errors.js';
import { decodeXattrs, encodeXattrs, splitXattrName } from './xattr.js';

describe('inline xattrs', () => {
  test('the doc test vector: user.a=1 and trusted.b=2 give 28 bytes, icount 5', () => {
    const { area, icount } = encodeXattrs(new Map([['trusted.b', Buffer.from('2')], ['user.a', Buffer.from('1')]]), '/f');
    expect(icount).toBe(5);
    // Header, then sorted by full name: trusted.b (index 4) before user.a (index 1).
    expect(area.toString('hex')).toBe('00'.repeat(12) + '01040100' + '6232' + '0000' + '01010100' + '6131' + '0000');
    expect(decodeXattrs(area, 0, area.length)).toEqual(new Map([['trusted.b', Buffer.from('2')], ['user.a', Buffer.from('1')]]));
  });

  test('ACL names store an empty suffix; binary values survive', () => {
    const acl = Buffer.from([2, 0, 0, 0, 1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff]);
    const xattrs = new Map([['system.posix_acl_access', acl], ['security.capability', Buffer.from([0, 1, 0, 0xfe])]]);
    const { area } = encodeXattrs(xattrs, '/f');
    expect(area.subarray(12, 16).toString('hex')).toBe('0a060400');
    // security.capability takes 4 + 10 + 4 = 18 bytes, padded to 20.
    expect(area.subarray(32, 36).toString('hex')).toBe('00020c00');
    expect(decodeXattrs(area, 0, area.length)).toEqual(xattrs);
  });

  test('prefix table', () => {
    expect(splitXattrName('user.mime')).toEqual({ index: 1, suffix: 'mime' });
    expect(splitXattrName('system.posix_acl_default')).toEqual({ index: 3, suffix: '' });
    expect(splitXattrName('system.posix_acl_accessx')).toBeUndefined();
    expect(splitXattrName('system.other')).toBeUndefined();
    expect(splitXattrName('user.')).toBeUndefined();
  });

  test('an unknown prefix fails naming the path and the key', () => {
    const run = () => encodeXattrs(new Map([['system.other', Buffer.alloc(1)]]), '/etc/x');
    expect(run).toThrow(NydusifyError);
    expect(run).toThrow('/etc/x: invalid xattr key "system.other"');
  });

  test('limits: name over 255 bytes, value over 65535 bytes', () => {
    expect(() => encodeXattrs(new Map([[`user.${'n'.repeat(251)}`, Buffer.alloc(1)]]), '/f')).toThrow(/over 255 bytes/);
    expect(() => encodeXattrs(new Map([['user.v', Buffer.alloc(65536)]]), '/f')).toThrow(/over 65535 bytes/);
  });

  test('decoding rejects an unknown prefix index and an overrunning value', () => {
    const { area } = encodeXattrs(new Map([['user.a', Buffer.from('1')]]), '/f');
    const bad = Buffer.alloc(0x100 + area.length);
    area.copy(bad, 0x100);
    bad[0x10d] = 5;
    expect(() => decodeXattrs(bad, 0x100, area.length)).toThrow(/xattr.e_name_index at offset 0x10d: unknown prefix 0x5/);
    const long = Buffer.from(area);
    long.writeUInt16LE(40, 14);
    expect(() => decodeXattrs(long, 0, long.length)).toThrow(FormatError);
  });
});
