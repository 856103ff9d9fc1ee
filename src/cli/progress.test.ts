import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../convert/events.js';
import { ProgressDisplay, plural } from './progress.js';

function fakeStream(isTTY: boolean, columns: number) {
  const written: string[] = [];
  const stream = { isTTY, columns, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

const layer = (state: 'start' | 'progress' | 'done', files: number): ProgressEvent => ({
  phase: 'layer', state, index: 0, count: 2, digest: `sha256:${'a'.repeat(64)}`, bytesRead: 2048, size: 2048, files,
});

describe('progress display', () => {
  it('prints one plain line per finished layer when stderr is not a terminal', () => {
    const { stream, written } = fakeStream(false, 80);
    const p = new ProgressDisplay(stream, false);
    for (const e of [layer('start', 0), layer('progress', 1), layer('done', 1)]) p.onEvent(e);
    expect(written).toEqual(['layer 1/2 sha256:aaaaaaaaaaaa converted: 2.0 KiB/2.0 KiB, 1 entry\n']);
  });

  it('does not animate on a terminal that reports zero columns', () => {
    const { stream, written } = fakeStream(true, 0);
    const p = new ProgressDisplay(stream, false);
    for (const e of [layer('start', 0), layer('done', 3)]) p.onEvent(e);
    expect(written).toEqual(['layer 1/2 sha256:aaaaaaaaaaaa converted: 2.0 KiB/2.0 KiB, 3 entries\n']);
  });

  it('prints one line per stored blob', () => {
    const { stream, written } = fakeStream(false, 80);
    const p = new ProgressDisplay(stream, false);
    const blob = { phase: 'blob', index: 1, count: 3, digest: `sha256:${'b'.repeat(64)}`, size: 3 << 20, reference: 'r' } as const;
    p.onEvent({ ...blob, state: 'start' });
    p.onEvent({ ...blob, state: 'done' });
    expect(written).toEqual(['blob 2/3 sha256:bbbbbbbbbbbb (3.0 MiB) stored\n']);
  });

  it('prints nothing when quiet', () => {
    const { stream, written } = fakeStream(false, 80);
    new ProgressDisplay(stream, true).onEvent(layer('done', 1));
    expect(written).toEqual([]);
  });

  it('counts in words', () => {
    expect([plural(0, 'entry', 'entries'), plural(1, 'entry', 'entries')]).toEqual(['0 entries', '1 entry']);
  });
});
