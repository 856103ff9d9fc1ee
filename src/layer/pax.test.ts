import { describe, expect, it } from 'vitest';
import { paxRecords } from '../../test/helpers/tar-builder.js';
import { interpretPax, percentDecode } from './pax-fields.js';
import { overlayPax, parsePaxRecords } from './pax.js';

describe('parsePaxRecords', () => {
  it('parses records as bytes: binary values, lengths counted in bytes', () => {
    const value = Buffer.from([0x00, 0x0a, 0x80, 0xff, 0x3d, 0xc3]);
    const body = Buffer.concat([
      Buffer.from('9 path=x\n'),
      Buffer.from('30 SCHILY.xattr.user.b='),
      value,
      Buffer.from('\n'),
      Buffer.alloc(30), // NUL padding some writers add
    ]);
    const records = parsePaxRecords(body, 0);
    expect([...records.keys()]).toEqual(['path', 'SCHILY.xattr.user.b']);
    expect(records.get('SCHILY.xattr.user.b')).toEqual(value);
    expect(records.get('path')).toEqual(Buffer.from('x'));
  });

  it('round-trips what the test builder writes, across a length-digit boundary', () => {
    const long = 'v'.repeat(95);
    const body = paxRecords({ a: long, 'é': 'ü' });
    expect(body.subarray(0, 6).toString()).toBe('102 a=');
    const records = parsePaxRecords(body, 0);
    expect(records.get('a')!.toString()).toBe(long);
    expect(records.get('\xe9')).toEqual(Buffer.from([0xfc]));
  });

  it.each([
    ['x path=y\n', /pax record\.length at offset 0x10: record does not start with a decimal/],
    ['20 path=y\n', /record length 20 does not end at a newline/],
    ['9 path=yy', /record length 9 does not end at a newline/],
    ['7 path\n', /pax record\.key at offset 0x10: record has no key=value/],
    ['6 =xy\n', /record has no key=value/],
  ])('refuses %j', (text, message) => {
    expect(() => parsePaxRecords(Buffer.from(text), 0x10)).toThrow(message);
  });

  it('overlays later records on earlier ones without changing either', () => {
    const base = new Map([['uid', Buffer.from('1')], ['gid', Buffer.from('2')]]);
    const top = new Map([['uid', Buffer.from('9')]]);
    const out = overlayPax(base, top);
    expect(out.get('uid')!.toString()).toBe('9');
    expect(out.get('gid')!.toString()).toBe('2');
    expect(base.get('uid')!.toString()).toBe('1');
  });
});

describe('interpretPax', () => {
  const records = (o: Record<string, string | Buffer>) =>
    new Map(
      Object.entries(o).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v, 'latin1')]),
    );

  it('reads the standard keys and ignores unknown ones', () => {
    const fields = interpretPax(
      records({
        path: 'p',
        linkpath: 'l',
        size: '9663676416',
        uid: '3000000',
        gid: '7',
        mtime: '1665584430.393557573',
        uname: 'me',
        gname: 'us',
        atime: '1.5',
        comment: 'x',
      }),
    );
    expect(fields).toEqual({
      path: 'p',
      linkpath: 'l',
      size: 9663676416,
      uid: 3000000,
      gid: 7,
      mtime: 1665584430,
      uname: 'me',
      gname: 'us',
      xattrs: new Map(),
      sparse: false,
    });
  });

  it('prefers SCHILY over LIBARCHIVE for the same xattr, whatever the order', () => {
    const fields = interpretPax(
      records({
        'SCHILY.xattr.user.a': 'raw',
        'LIBARCHIVE.xattr.user.a': 'YjY0',
        'LIBARCHIVE.xattr.user%2Fb': 'AP8',
      }),
    );
    expect(fields.xattrs).toEqual(
      new Map([
        ['user.a', Buffer.from('raw')],
        ['user/b', Buffer.from([0x00, 0xff])],
      ]),
    );
  });

  it('treats empty standard values as absent and flags GNU sparse keys', () => {
    expect(interpretPax(records({ uid: '', path: '', 'GNU.sparse.map': '0,1' }))).toEqual({
      xattrs: new Map(),
      sparse: true,
    });
  });

  it('refuses malformed numbers', () => {
    expect(() => interpretPax(records({ size: '-1' }))).toThrow('pax record.size: bad decimal');
    expect(() => interpretPax(records({ gid: '1e3' }))).toThrow('pax record.gid: bad decimal');
    expect(() => interpretPax(records({ mtime: '1.2.3' }))).toThrow('pax record.mtime: bad time');
  });

  it('percent-decodes to bytes and leaves stray % alone', () => {
    expect(percentDecode('a%3Db%FF%zz%')).toBe('a=b\xff%zz%');
  });
});
