import { describe, expect, it } from 'vitest';
import { LayerTree, type EntryMeta } from './layer-tree.js';
import { emptyRoot, mergeLayer } from './overlay.js';
import { walkTree } from './walk.js';
import type { FileType, TreeNode } from './types.js';

type Spec = Partial<EntryMeta> & { path: string; type?: FileType | 'hardlink' };

function layer(name: string, specs: Spec[]): TreeNode {
  const tree = new LayerTree(name);
  for (const s of specs) {
    tree.add({
      type: 'file',
      perm: s.type === 'dir' ? 0o755 : 0o644,
      uid: 0,
      gid: 0,
      mtime: 0,
      size: 0,
      linkTarget: '',
      devMajor: 0,
      devMinor: 0,
      xattrs: new Map(),
      ...s,
    });
  }
  return tree.root;
}

function merge(...layers: TreeNode[]): TreeNode {
  return layers.reduce((lower, upper) => mergeLayer(lower, upper), emptyRoot());
}

/** A listing line per path: path, type, octal permissions, uid, size or target. */
function listing(root: TreeNode): string[] {
  return [...walkTree(root)].map(({ path, node }) => {
    const i = node.inode;
    const extra = i.type === 'symlink' ? `->${i.linkTarget}` : i.type === 'file' ? `${i.size}` : '';
    return `${path} ${i.type} ${i.perm.toString(8)} ${i.uid} ${extra}`.trimEnd();
  });
}

const paths = (root: TreeNode) => [...walkTree(root)].map((w) => w.path);

describe('overlay merge rules', () => {
  const cases: Array<{ rule: string; layers: Spec[][]; want: string[] }> = [
    {
      rule: '.wh.NAME deletes a lower file',
      layers: [[{ path: 'a' }, { path: 'b' }], [{ path: '.wh.a' }]],
      want: ['/', '/b'],
    },
    {
      rule: '.wh.NAME deletes a whole lower directory',
      layers: [[{ path: 'd', type: 'dir' }, { path: 'd/x' }, { path: 'd/e/y' }], [{ path: '.wh.d' }]],
      want: ['/'],
    },
    {
      rule: '.wh.NAME never deletes from its own layer, in either tar order',
      layers: [[{ path: 'k' }], [{ path: 'a', size: 3 }, { path: '.wh.a' }, { path: '.wh.b' }, { path: 'b' }]],
      want: ['/', '/a', '/b', '/k'],
    },
    {
      rule: 'whiteout inside an implicit directory keeps the lower directory metadata',
      layers: [[{ path: 'd', type: 'dir', perm: 0o700, uid: 5 }, { path: 'd/x' }, { path: 'd/y' }], [{ path: 'd/.wh.x' }]],
      want: ['/ dir 755 0', '/d dir 700 5', '/d/y file 644 0 0'],
    },
    {
      rule: 'opaque marker hides everything below but keeps its own layer entries in any order',
      layers: [
        [{ path: 'd/old1' }, { path: 'd/sub/old2' }, { path: 'e' }],
        [{ path: 'd/new1' }, { path: 'd/.wh..wh..opq' }, { path: 'd/new2' }],
      ],
      want: ['/', '/d', '/d/new1', '/d/new2', '/e'],
    },
    {
      rule: 'the same path twice in one tar: the last entry wins',
      layers: [[{ path: 'a', size: 1 }, { path: 'a', size: 2, perm: 0o600 }]],
      want: ['/ dir 755 0', '/a file 600 0 2'],
    },
    {
      rule: 'directory replaced by a file leaves no stale children',
      layers: [[{ path: 'd/x' }, { path: 'd/y/z' }], [{ path: 'd', size: 9 }]],
      want: ['/ dir 755 0', '/d file 644 0 9'],
    },
    {
      rule: 'file replaced by a directory',
      layers: [[{ path: 'd', size: 9 }], [{ path: 'd', type: 'dir', perm: 0o711 }, { path: 'd/n' }]],
      want: ['/ dir 755 0', '/d dir 711 0', '/d/n file 644 0 0'],
    },
    {
      rule: 'directory replaced by a symlink leaves no stale children',
      layers: [[{ path: 'd/x' }], [{ path: 'd', type: 'symlink', linkTarget: '/tmp' }]],
      want: ['/ dir 755 0', '/d symlink 777 0 ->/tmp'],
    },
    {
      rule: 'a directory in one tar replaced by a file in the same tar drops its children',
      layers: [[{ path: 'd/x' }, { path: 'd', size: 1 }]],
      want: ['/ dir 755 0', '/d file 644 0 1'],
    },
    {
      rule: 'whiteouts below a file that replaced a directory (as umoci writes them) keep the file',
      layers: [[{ path: 'd/x' }, { path: 'd/y' }], [{ path: 'd', size: 4 }, { path: 'd/.wh.x' }, { path: 'd/.wh.y' }]],
      want: ['/ dir 755 0', '/d file 644 0 4'],
    },
    {
      rule: 'whiteouts before the file that replaces their directory keep the file too',
      layers: [[{ path: 'd/x' }], [{ path: 'd/.wh.x' }, { path: 'd', size: 4 }]],
      want: ['/ dir 755 0', '/d file 644 0 4'],
    },
    {
      rule: 'a directory entry after its children keeps them and sets metadata',
      layers: [[{ path: 'd/x' }, { path: 'd', type: 'dir', perm: 0o750, uid: 7 }]],
      want: ['/ dir 755 0', '/d dir 750 7', '/d/x file 644 0 0'],
    },
    {
      rule: 'markers never reach the result, even in the lowest layer or under new directories',
      layers: [[{ path: '.wh.ghost' }, { path: 'n/.wh..wh..opq' }, { path: 'n/.wh.x' }, { path: 'n/f' }]],
      want: ['/', '/n', '/n/f'],
    },
    {
      rule: 'a whiteout of a missing name does not create its parent',
      layers: [[{ path: 'a' }], [{ path: 'missing/.wh.x' }]],
      want: ['/', '/a'],
    },
    {
      rule: 'a whiteout under a path that is a lower file does not replace the file',
      layers: [[{ path: 'f', size: 4 }], [{ path: 'f/.wh.x' }]],
      want: ['/ dir 755 0', '/f file 644 0 4'],
    },
    {
      rule: 'root metadata comes from the top layer that has a root entry',
      layers: [[{ path: '', type: 'dir', perm: 0o700, uid: 1 }], [{ path: '', type: 'dir', perm: 0o751, uid: 2 }], [{ path: 'x' }]],
      want: ['/ dir 751 2', '/x file 644 0 0'],
    },
    {
      rule: 'upper regular file replaces lower file metadata',
      layers: [[{ path: 'etc/motd', size: 1, uid: 3 }], [{ path: 'etc/motd', size: 20, perm: 0o600 }]],
      want: ['/ dir 755 0', '/etc dir 755 0', '/etc/motd file 600 0 20'],
    },
  ];
  for (const c of cases) {
    it(c.rule, () => {
      const merged = merge(...c.layers.map((specs, i) => layer(`layer${i}`, specs)));
      const got = c.want[0]?.includes(' ') ? listing(merged) : paths(merged);
      expect(got).toEqual(c.want);
    });
  }
});

describe('hardlinks', () => {
  it('share one inode within a layer', () => {
    const root = layer('l0', [{ path: 'a', size: 5 }, { path: 'b', type: 'hardlink', linkTarget: 'a' }]);
    const a = root.children?.get('a');
    const b = root.children?.get('b');
    expect(a?.inode).toBe(b?.inode);
    expect(b?.inode.type).toBe('file');
  });

  it('survive the link source being deleted in a later layer', () => {
    const l0 = layer('l0', [{ path: 'a', size: 5 }, { path: 'b', type: 'hardlink', linkTarget: 'a' }, { path: 'c', type: 'hardlink', linkTarget: 'a' }]);
    const merged = merge(l0, layer('l1', [{ path: '.wh.a' }]));
    expect(listing(merged)).toEqual(['/ dir 755 0', '/b file 644 0 5', '/c file 644 0 5']);
    expect(merged.children?.get('b')?.inode).toBe(merged.children?.get('c')?.inode);
  });

  it('survive the link source being replaced in a later layer', () => {
    const l0 = layer('l0', [{ path: 'a', size: 5 }, { path: 'b', type: 'hardlink', linkTarget: 'a' }]);
    const merged = merge(l0, layer('l1', [{ path: 'a', size: 99 }]));
    expect(listing(merged)).toEqual(['/ dir 755 0', '/a file 644 0 99', '/b file 644 0 5']);
    expect(merged.children?.get('a')?.inode).not.toBe(merged.children?.get('b')?.inode);
  });

  it('survive the source being replaced later in the same tar', () => {
    const root = layer('l0', [{ path: 'a', size: 5 }, { path: 'b', type: 'hardlink', linkTarget: 'a' }, { path: 'a', size: 7 }]);
    expect(listing(root)).toEqual(['/ dir 755 0', '/a file 644 0 7', '/b file 644 0 5']);
  });

  it('to a missing source fails naming the layer and entry', () => {
    expect(() => layer('sha256:abc', [{ path: 'b', type: 'hardlink', linkTarget: 'nope' }])).toThrow(
      /layer sha256:abc: entry b: hardlink to nope/,
    );
  });

  it('to a directory fails', () => {
    expect(() => layer('l', [{ path: 'd', type: 'dir' }, { path: 'b', type: 'hardlink', linkTarget: 'd' }])).toThrow(/hardlink to directory d/);
  });
});

describe('layer tree', () => {
  it('creates implicit parents with default metadata', () => {
    const root = layer('l', [{ path: 'a/b/c', size: 1 }]);
    expect(listing(root)).toEqual(['/ dir 755 0', '/a dir 755 0', '/a/b dir 755 0', '/a/b/c file 644 0 1']);
    expect(root.children?.get('a')?.implicit).toBe(true);
  });

  it('refuses a root entry that is not a directory', () => {
    expect(() => layer('l', [{ path: '', type: 'file' }])).toThrow(/root must be a directory/);
  });

  it('keeps whiteout markers as plain files in the layer itself', () => {
    const root = layer('l', [{ path: '.wh.x' }, { path: 'd/.wh..wh..opq' }]);
    expect(paths(root)).toEqual(['/', '/.wh.x', '/d', '/d/.wh..wh..opq']);
  });
});

describe('layer tree timestamps', () => {
  it('stores a time before 1970 as the epoch', () => {
    const root = layer('l', [{ path: 'old', mtime: -100000 }]);
    expect(root.children?.get('old')?.inode.mtime).toBe(0);
  });
});
