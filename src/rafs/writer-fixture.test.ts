import { describe, expect, test } from 'vitest';
import { writeBootstrap } from './writer.js';
import { fixtureBlob, fixtureBoot, fixtureTree, fsckErofs } from './test-support.js';

// Bytes nydus-format.md lists as version-dependent, plus the mtime nanoseconds,
// which a tar-sourced Inode does not carry (the fixture came from a directory).
// The fixture's chunks carry no CRC-32C, and so neither do the refs written here:
// their chunk-table records, flags included, must then come out identical.
const EXPECTED_DIFFERENCES: Array<[string, number, string, string]> = [
  ['s_flags byte 3 (ENCRYPTION_NONE)', 0x483, '01', '00'],
  ['mapped_blkaddr (512 KiB rule vs 2 MiB)', 0x5c4, '80000000', '00020000'],
  ['root i_ino (1 vs 0 before 2.3)', 0x3014, '01000000', '00000000'],
  ['lib.rs i_mtime_nsec', 0x30c8, '00000000', '569c7825'],
  ['sync_io.rs i_mtime_nsec', 0x3128, '00000000', '3cac7d25'],
];

describe('writer against the real nydus-image 2.2 fixture', () => {
  const ours = writeBootstrap(fixtureTree(), [fixtureBlob()], {
    chunkSize: 0x100000, compressor: 'zstd', digester: 'blake3', prefetchAll: false,
  });
  const theirs = fixtureBoot();

  test('same size and fsck.erofs accepts ours', () => {
    expect(ours.length).toBe(theirs.length);
    expect(fsckErofs(ours, 1).status).toBe(0);
  });

  test('only the listed version-dependent fields differ', () => {
    for (const [what, off, mine, fixture] of EXPECTED_DIFFERENCES) {
      const n = mine.length / 2;
      expect(ours.subarray(off, off + n).toString('hex'), what).toBe(mine);
      expect(theirs.subarray(off, off + n).toString('hex'), what).toBe(fixture);
    }
    const masked = (b: Buffer) => {
      const copy = Buffer.from(b);
      for (const [, off, mine] of EXPECTED_DIFFERENCES) copy.fill(0, off, off + mine.length / 2);
      return copy;
    };
    const a = masked(ours);
    const b = masked(theirs);
    const firstDiff = a.findIndex((byte, i) => byte !== b[i]);
    expect(firstDiff).toBe(-1);
  });
});
