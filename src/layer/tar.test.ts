import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildTar, chunked, type TarSpec } from '../../test/helpers/tar-builder.js';
import { readTar } from './tar.js';
import type { LayerWarning, TarEntry } from './tar-types.js';

const FIXTURES = new URL('../../../shared/fixtures/layers/', import.meta.url);
const LAYER = 'sha256:test';
/** Slice sizes every small archive is fed in; results must not depend on them. */
const SLICES = [1, 321, Infinity];

type Seen = Omit<TarEntry, 'body'> & { data: Buffer };

async function collect(input: AsyncIterable<Buffer>, warnings: LayerWarning[] = []) {
  const out: Seen[] = [];
  for await (const entry of readTar(input, LAYER, { onWarning: (w) => warnings.push(w) })) {
    const parts: Buffer[] = [];
    for await (const chunk of entry.body) parts.push(Buffer.from(chunk));
    const { body: _body, ...fields } = entry;
    out.push({ ...fields, data: Buffer.concat(parts) });
  }
  return out;
}

/** Parses `tar` in every slice size, checks the results agree, returns one. */
async function parse(tar: Buffer, warnings: LayerWarning[] = []): Promise<Seen[]> {
  const whole = await collect(chunked(tar), warnings);
  for (const size of SLICES.slice(0, -1)) {
    expect(await collect(chunked(tar, size))).toEqual(whole);
  }
  return whole;
}

function fixture(name: string): Promise<Buffer> {
  return readFile(new URL(name, FIXTURES));
}

function brief(e: Seen): [string, string, string] {
  return [e.path, e.type, e.linkTarget];
}

describe('readTar on real layers', () => {
  it('reads all-entry-type.tar: dirs, a file, three hardlinks, a symlink', async () => {
    const entries = await parse(await fixture('all-entry-type.tar'));
    const target = 'tar/dir1/dir3/hardlink1.txt';
    expect(entries.map(brief)).toEqual([
      ['tar', 'dir', ''],
      ['tar/dir1', 'dir', ''],
      ['tar/dir1/dir3', 'dir', ''],
      [target, 'file', ''],
      ['tar/dir1/dir3/xfile.txt', 'hardlink', target],
      ['tar/dir1/hardlink2.txt', 'hardlink', target],
      ['tar/dir2', 'dir', ''],
      ['tar/dir2/hardlink3.txt', 'hardlink', target],
      ['tar/dir2/symlink1.txt', 'symlink', '../dir1/dir3/file1.txt'],
    ]);
    const file = entries[3];
    expect(file.data.toString()).toBe('This is a test\n');
    expect(file).toMatchObject({ size: 15, perm: 0o644, uid: 0, gid: 0, mtime: 1665584430 });
    expect(file).toMatchObject({ uname: 'root', gname: 'root', devMajor: 0, devMinor: 0 });
    expect(entries[0]).toMatchObject({ perm: 0o755, mtime: 1665585322, size: 0 });
    expect(entries[8]).toMatchObject({ perm: 0o755, size: 0 });
    expect(entries.every((e) => e.xattrs.size === 0)).toBe(true);
  });

  it('reads all-entry-type-macos.tar: LIBARCHIVE xattrs, PAX mtimes, the long name', async () => {
    const entries = await parse(await fixture('all-entry-type-macos.tar'));
    expect(entries).toHaveLength(16);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    const value = Buffer.from('value');
    const file = byPath.get('tar/dir1/hardlink2.txt')!;
    expect(file).toMatchObject({ type: 'file', size: 15, uid: 502, gid: 20, uname: 'gerry' });
    // PAX mtime=1665584430.393557573, truncated to whole seconds.
    expect(file.mtime).toBe(1665584430);
    expect(file.xattrs).toEqual(new Map([['hardlink3', value]]));
    expect(byPath.get('tar/dir1/dir3')!.xattrs).toEqual(new Map([['dir', value]]));
    expect(byPath.get('tar/dir2/symlink1.txt')!).toMatchObject({
      type: 'symlink',
      linkTarget: '../dir1/dir3/file1.txt',
      xattrs: new Map([['symlink', value]]),
    });
    expect(byPath.get('tar/dir1/dir3/xfile.txt')).toMatchObject({
      type: 'hardlink',
      linkTarget: 'tar/dir1/hardlink2.txt',
    });
    const stem = 'tar/dir1/dir3/this_is_really_a_very_long_name_to_test_tar_entry_type_';
    const longName = `${stem}${'a'.repeat(196)}.txt`;
    const long = byPath.get(longName)!;
    expect(long.path.length).toBe(269);
    expect(long.data.toString()).toBe('long name\n');
    const appleDouble = byPath.get('tar/dir1/._hardlink2.txt')!.data;
    expect(appleDouble.subarray(8, 16).toString()).toBe('Mac OS X');
  });

  it('reads empty.tar (a zero-byte layer) as no entries', async () => {
    const data = await fixture('empty.tar');
    expect(data.length).toBe(0);
    expect(await parse(data)).toEqual([]);
  });
});

function one(spec: TarSpec, rest: TarSpec[] = []): Buffer {
  return buildTar([spec, ...rest]);
}

describe('readTar header variants, fed in 1, 321 and whole-archive slices', () => {
  it('maps every typeflag and ignores S_IFMT bits in mode', async () => {
    const entries = await parse(
      buildTar([
        { path: 'd', type: 'dir', mode: 0o41777 },
        { path: 'd/f', data: 'hello', mode: 0o104755, uid: 1, gid: 2, mtime: 3 },
        { path: 'd/nul', typeflag: '\0', data: 'n' },
        { path: 'd/contig', typeflag: '7', data: 'c' },
        { path: 'd/hard', type: 'hardlink', linkTarget: './d/f' },
        { path: 'd/sym', type: 'symlink', linkTarget: '../x//y/' },
        { path: 'd/tty', type: 'char', devMajor: 5, devMinor: 0, mode: 0o20620 },
        { path: 'd/sda', type: 'block', devMajor: 8, devMinor: 1 },
        { path: 'd/fifo', type: 'fifo' },
      ]),
    );
    expect(entries.map((e) => [e.path, e.type, e.perm, e.size, e.linkTarget])).toEqual([
      ['d', 'dir', 0o1777, 0, ''],
      ['d/f', 'file', 0o4755, 5, ''],
      ['d/nul', 'file', 0o644, 1, ''],
      ['d/contig', 'file', 0o644, 1, ''],
      ['d/hard', 'hardlink', 0o644, 0, 'd/f'],
      ['d/sym', 'symlink', 0o644, 0, '../x//y/'],
      ['d/tty', 'char', 0o620, 0, ''],
      ['d/sda', 'block', 0o644, 0, ''],
      ['d/fifo', 'fifo', 0o644, 0, ''],
    ]);
    expect(entries[1]).toMatchObject({ uid: 1, gid: 2, mtime: 3 });
    expect(entries[1].data.toString()).toBe('hello');
    expect(entries[6]).toMatchObject({ devMajor: 5, devMinor: 0 });
    expect(entries[7]).toMatchObject({ devMajor: 8, devMinor: 1 });
  });

  it('treats a NUL typeflag with a trailing slash as a pre-POSIX directory', async () => {
    const [e] = await parse(one({ path: 'old/', typeflag: '\0', format: 'v7' }));
    expect([e.path, e.type]).toEqual(['old', 'dir']);
  });

  it('normalises paths: ./, leading /, //, ., .. inside, the root', async () => {
    const entries = await parse(
      buildTar([
        { path: './', type: 'dir' },
        { path: '/', type: 'dir' },
        { path: '.', type: 'dir' },
        { path: './a', data: 'x' },
        { path: '/b/c', data: 'x' },
        { path: 'c//d/./e/', type: 'dir' },
        { path: 'x/../y', data: 'x' },
      ]),
    );
    expect(entries.map((e) => e.path)).toEqual(['', '', '', 'a', 'b/c', 'c/d/e', 'y']);
  });

  it('joins the ustar prefix and name', async () => {
    const path = `${'p'.repeat(120)}/${'n'.repeat(90)}`;
    const tar = one({ path, data: 'data' });
    expect(tar.subarray(345, 350).toString()).toBe('ppppp'); // the prefix field is used
    const [e] = await parse(tar);
    expect(e.path).toBe(path);
    expect(e.data.toString()).toBe('data');
  });

  it('ignores the prefix bytes of GNU headers (they hold atime there)', async () => {
    const tar = one({ path: 'f', format: 'gnu', data: 'x' });
    tar.write('junk', 345, 'latin1');
    fixChecksum(tar, 0);
    const [e] = await parse(tar);
    expect(e.path).toBe('f');
  });

  it('reads GNU L and K long names', async () => {
    const path = `dir/${'L'.repeat(200)}`;
    const link = `../${'K'.repeat(150)}`;
    const entries = await parse(
      buildTar([
        { path, type: 'symlink', linkTarget: link, gnuLongName: true },
        { path: `${path}2`, type: 'hardlink', linkTarget: path, gnuLongName: true },
        { path: 'short', data: 'x' },
      ]),
    );
    expect(entries.map(brief)).toEqual([
      [path, 'symlink', link],
      [`${path}2`, 'hardlink', path],
      ['short', 'file', ''],
    ]);
  });

  it('applies PAX path, linkpath, size, uid, gid, mtime, uname, gname', async () => {
    const path = `pax/${'\xe9'.repeat(150)}`;
    const [e, s] = await parse(
      buildTar([
        { path, data: 'body', uid: 3_000_000, gid: 4_000_000, mtime: 1, pax: true },
        { path: 's', type: 'symlink', linkTarget: 't'.repeat(300), uname: 'me', pax: true },
      ]),
    );
    expect(e).toMatchObject({ path, size: 4, uid: 3_000_000, gid: 4_000_000, mtime: 1 });
    expect(e.data.toString()).toBe('body');
    expect(s).toMatchObject({ path: 's', linkTarget: 't'.repeat(300), uname: 'me' });
  });

  it('truncates fractional PAX mtimes toward zero', async () => {
    const entries = await parse(
      buildTar([
        { path: 'a', paxRecords: { mtime: '1665584430.999999999' } },
        { path: 'b', paxRecords: { mtime: '-1.5' } },
        { path: 'c', paxRecords: { mtime: '7.' } },
      ]),
    );
    expect(entries.map((e) => e.mtime)).toEqual([1665584430, -1, 7]);
  });

  it('applies global PAX records to every later entry, under per-entry ones', async () => {
    const entries = await parse(
      buildTar([
        { path: 'before', uid: 1 },
        { globalPax: { uid: '77', 'SCHILY.xattr.user.g': 'global' } },
        { path: 'a', uid: 1 },
        { path: 'b', uid: 1, paxRecords: { uid: '88', 'SCHILY.xattr.user.g': 'mine' } },
        // An empty value means "use the header field".
        { path: 'c', uid: 5, paxRecords: { uid: '' } },
      ]),
    );
    expect(entries.map((e) => [e.path, e.uid, e.xattrs.get('user.g')?.toString()])).toEqual([
      ['before', 1, undefined],
      ['a', 77, 'global'],
      ['b', 88, 'mine'],
      ['c', 5, 'global'],
    ]);
  });

  it('reads base-256 uid, gid and negative mtime', async () => {
    const [e] = await parse(
      one({ path: 'f', uid: 3_000_000, gid: 2 ** 40, mtime: -86400, base256: ['mtime'] }),
    );
    expect(e).toMatchObject({ uid: 3_000_000, gid: 2 ** 40, mtime: -86400 });
  });

  it('accepts the signed-sum checksum variant and keeps non-UTF-8 names as bytes', async () => {
    const path = Buffer.from([0x63, 0xe9, 0xff, 0x80]);
    const tar = one({ path, data: 'x', checksum: 'signed' });
    const [e] = await parse(tar);
    expect(Buffer.from(e.path, 'latin1')).toEqual(path);
  });

  it('round-trips a binary security.capability value byte for byte', async () => {
    const capability = Buffer.from([
      0x01, 0x00, 0x00, 0x02, 0x00, 0x80, 0xff, 0x0a, 0x3d, 0x20, 0xc3, 0x28, 0xe2, 0x82, 0x00,
    ]);
    const name = 'security.capability';
    const [e] = await parse(one({ path: 'bin/ping', data: 'elf', xattrs: { [name]: capability } }));
    expect(e.xattrs.get(name)).toEqual(capability);
    expect([...e.xattrs.keys()]).toEqual([name]);
  });

  it('decodes LIBARCHIVE.xattr names (%-encoded) and values (base64)', async () => {
    const value = Buffer.from([0x00, 0xff, 0x80, 0x41]);
    // bsdtar leaves out the base64 padding.
    const base64 = value.toString('base64').replace(/=+$/, '');
    const paxRecords = { 'LIBARCHIVE.xattr.user.a%3Db%25': base64 };
    const [e] = await parse(one({ path: 'f', paxRecords }));
    expect(e.xattrs).toEqual(new Map([['user.a=b%', value]]));
  });

  it('keeps empty xattr values', async () => {
    const [e] = await parse(one({ path: 'f', xattrs: { 'user.empty': '' } }));
    expect(e.xattrs).toEqual(new Map([['user.empty', Buffer.alloc(0)]]));
  });

  it('ends at one zero block, at no zero block, and ignores record padding', async () => {
    const spec: TarSpec = { path: 'f', data: 'x' };
    for (const endBlocks of [0, 1, 2, 20]) {
      const entries = await parse(buildTar([spec], { endBlocks }));
      expect(entries.map((e) => e.path)).toEqual(['f']);
    }
  });
});

/** Recomputes the unsigned checksum of the header at `at` after a test edits it. */
function fixChecksum(tar: Buffer, at: number): void {
  tar.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = at; i < at + 512; i++) sum += tar[i];
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
}

describe('readTar failures', () => {
  const fail = async (tar: Buffer | AsyncIterable<Buffer>) => {
    const input = Buffer.isBuffer(tar) ? chunked(tar, 321) : tar;
    return collect(input).then(
      () => {
        throw new Error('expected a LayerError');
      },
      (err: unknown) => err as Error & { code: string },
    );
  };

  it.each([
    ['../x', 'entry ../x: path climbs out of the root'],
    ['a/../../x', 'entry a/../../x: path climbs out of the root'],
    ['/../etc/passwd', 'entry /../etc/passwd: path climbs out of the root'],
  ])('refuses the path %s, naming layer and entry', async (path, message) => {
    const err = await fail(one({ path: 'ok', data: 'x' }, [{ path, data: 'evil' }]));
    expect(err.code).toBe('ERR_LAYER');
    expect(err.message).toBe(`layer ${LAYER}: ${message}`);
  });

  it('refuses a hardlink whose target climbs out of the root', async () => {
    const err = await fail(one({ path: 'h', type: 'hardlink', linkTarget: 'a/../../etc/shadow' }));
    expect(err.message).toBe(
      `layer ${LAYER}: entry h: hardlink target a/../../etc/shadow climbs out of the root`,
    );
  });

  it('allows a symlink target that climbs (it is not resolved here)', async () => {
    const [e] = await collect(chunked(one({ path: 's', type: 'symlink', linkTarget: '../../x' })));
    expect(e.linkTarget).toBe('../../x');
  });

  it('refuses a regular file at the root path', async () => {
    const err = await fail(one({ path: './', data: 'x' }));
    expect(err.message).toMatch(/entry \.\/: names the root but is a file/);
  });

  it('reports truncation inside a body, naming the entry', async () => {
    const tar = one({ path: 'big', data: Buffer.alloc(2000, 1) });
    const err = await fail(tar.subarray(0, 512 + 1000));
    expect(err.code).toBe('ERR_LAYER');
    expect(err.message).toBe(
      `layer ${LAYER}: entry big: unexpected end of data: 1000 of 2000 body bytes missing`,
    );
  });

  it('reports truncation inside an unread body and inside its padding', async () => {
    const tar = one({ path: 'big', data: Buffer.alloc(2000, 1) });
    for (const cut of [512 + 1000, 512 + 2010]) {
      const skip = async () => {
        for await (const _ of readTar(chunked(tar.subarray(0, cut), 100), LAYER));
      };
      await expect(skip()).rejects.toThrow(`layer ${LAYER}: entry big: unexpected end of data`);
    }
  });

  it('reports truncation inside a header', async () => {
    const tar = buildTar([{ path: 'a', data: 'x' }, { path: 'b' }]);
    const err = await fail(tar.subarray(0, 1024 + 300));
    expect(err.message).toBe(`layer ${LAYER}: truncated header at offset 0x400: 300 of 512 bytes`);
  });

  it('refuses a bad checksum, naming field and offset', async () => {
    const tar = one({ path: 'a', checksum: 0o1234 });
    const err = await fail(tar);
    expect(err.message).toMatch(/^layer sha256:test: tar header\.chksum at offset 0x94: /);
    expect(err.message).toMatch(/stored 0o1234, computed 0o\d+$/);
  });

  it('refuses a lone zero block followed by more entries', async () => {
    const first = buildTar([{ path: 'a' }], { endBlocks: 1 });
    const tar = Buffer.concat([first, buildTar([{ path: 'b' }])]);
    const err = await fail(tar);
    expect(err.message).toBe(
      `layer ${LAYER}: a lone zero block at offset 0x200 is followed by more data`,
    );
  });

  it('refuses metadata with no entry after it, and oversized metadata', async () => {
    const longName = buildTar([{ path: 'x'.repeat(200), gnuLongName: true }]);
    const dangling = longName.subarray(0, 1024); // the L entry alone
    const end = Buffer.concat([dangling, Buffer.alloc(1024)]);
    expect((await fail(end)).message).toBe(
      `layer ${LAYER}: archive ends after a metadata entry`,
    );
    const huge = buildTar([{ path: 'f', paxRecords: { comment: 'c'.repeat(1024 * 1024) } }]);
    expect((await fail(huge)).message).toMatch(/'x' metadata entry of \d+ bytes exceeds 1048576/);
  });

  it('refuses malformed PAX records and numbers', async () => {
    const badLen = buildTar([{ path: 'f', paxRecords: { path: 'x' } }]);
    badLen.write('8', 512, 'latin1'); // "9 path=x\n" → "8 path=x\n"
    expect((await fail(badLen)).message).toMatch(/pax record\.length .*does not end at a newline/);
    const badUid = buildTar([{ path: 'f', paxRecords: { uid: '12a' } }]);
    expect((await fail(badUid)).message).toBe(
      `layer ${LAYER}: entry f: pax record.uid: bad decimal value "12a"`,
    );
    const badOctal = one({ path: 'f' });
    badOctal.write('9', 108, 'latin1');
    fixChecksum(badOctal, 0);
    expect((await fail(badOctal)).message).toMatch(
      /tar header\.uid at offset 0x6c: bad octal digit 0x39/,
    );
  });

  it('wraps errors of the input stream', async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      yield one({ path: 'f', data: 'x' }).subarray(0, 700);
      throw new Error('connection reset');
    }
    const err = await fail(broken());
    expect(err.message).toBe(`layer ${LAYER}: entry f: read failed: connection reset`);
  });
});

describe('readTar warnings', () => {
  it('skips an unknown typeflag with its data', async () => {
    const warnings: LayerWarning[] = [];
    const entries = await parse(
      buildTar([
        { path: 'weird', typeflag: 'Z', data: 'z'.repeat(700) },
        { path: 'next', data: 'ok' },
      ]),
      warnings,
    );
    expect(entries.map((e) => [e.path, e.data.toString()])).toEqual([['next', 'ok']]);
    expect(warnings).toEqual([
      {
        code: 'TAR_UNKNOWN_TYPE',
        layer: LAYER,
        entry: 'weird',
        message: "unknown typeflag 'Z'; entry skipped",
      },
    ]);
  });

  it('skips an old-GNU sparse entry with its extension blocks', async () => {
    const warnings: LayerWarning[] = [];
    const sparse = buildTar([{ path: 'sp', typeflag: 'S', format: 'gnu', data: 's'.repeat(600) }], {
      endBlocks: 0,
    });
    // Mark the header as extended and splice in two extension blocks, the first chained.
    sparse[482] = 1;
    fixChecksum(sparse, 0);
    const ext1 = Buffer.alloc(512, 0x31);
    ext1[504] = 1;
    const ext2 = Buffer.alloc(512, 0x32);
    ext2[504] = 0;
    const tar = Buffer.concat([
      sparse.subarray(0, 512),
      ext1,
      ext2,
      sparse.subarray(512),
      buildTar([{ path: 'next', data: 'ok' }]),
    ]);
    const entries = await parse(tar, warnings);
    expect(entries.map((e) => e.path)).toEqual(['next']);
    expect(warnings.map((w) => [w.code, w.entry])).toEqual([['TAR_SPARSE_SKIPPED', 'sp']]);
  });

  it('skips a PAX-format GNU sparse file', async () => {
    const warnings: LayerWarning[] = [];
    const tar = buildTar([
      {
        path: 'sp',
        data: 'map+data',
        paxRecords: { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0' },
      },
      { path: 'next' },
    ]);
    expect((await parse(tar, warnings)).map((e) => e.path)).toEqual(['next']);
    expect(warnings.map((w) => w.code)).toEqual(['TAR_SPARSE_SKIPPED']);
  });

  it('warns about non-zero bytes after the end marker, and reads them all', async () => {
    const warnings: LayerWarning[] = [];
    const tar = Buffer.concat([buildTar([{ path: 'f' }]), Buffer.from('trailing')]);
    await parse(tar, warnings);
    expect(warnings.map((w) => w.code)).toEqual(['TAR_TRAILING_DATA']);
    let pulled = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const c of chunked(tar, 100)) {
        pulled += c.length;
        yield c;
      }
    }
    await collect(counted());
    expect(pulled).toBe(tar.length);
  });

  it('fails when onWarning throws (strict mode)', async () => {
    const tar = buildTar([{ path: 'weird', typeflag: 'Z' }]);
    const strict = async () => {
      const onWarning = (w: LayerWarning) => {
        throw new Error(`strict: ${w.code}`);
      };
      for await (const _ of readTar(chunked(tar), LAYER, { onWarning }));
    };
    await expect(strict()).rejects.toThrow(
      `layer ${LAYER}: entry weird: read failed: strict: TAR_UNKNOWN_TYPE`,
    );
  });
});

describe('readTar on something that is not a tar', () => {
  it('says so instead of naming an octal digit', async () => {
    const junk = Buffer.alloc(1024, 'garbage ');
    await expect(collect(chunked(junk))).rejects.toThrow(/not a tar header: the checksum field holds no octal number/);
  });
});
