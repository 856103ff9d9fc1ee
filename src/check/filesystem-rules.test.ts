import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NydusImage } from '../nydus/open-image.js';
import { newDir, newInode, toByteString, type Inode, type TreeNode } from '../tree/types.js';
import { checkFilesystem } from './filesystem-rules.js';
import type { SourceTree } from './source-tree.js';

const EMPTY = `sha256:${createHash('sha256').digest('hex')}`;

function leaf(inode: Inode): TreeNode {
  return { inode, children: null, implicit: false };
}

/** A small tree; `change` edits the copy before it is returned. */
function tree(change: (nodes: Record<string, TreeNode>) => void = () => {}): TreeNode {
  const nodes: Record<string, TreeNode> = {
    etc: newDir(),
    passwd: leaf(newInode('file', { perm: 0o644, xattrs: new Map([['user.a', Buffer.from('x')]]) })),
    link: leaf(newInode('symlink', { perm: 0o777, linkTarget: toByteString('/etc/passwd') })),
    tty: leaf(newInode('char', { perm: 0o620, devMajor: 5, devMinor: 0 })),
  };
  change(nodes);
  const root = newDir();
  root.children?.set('etc', nodes.etc!);
  nodes.etc!.children?.set('passwd', nodes.passwd!);
  root.children?.set('link', nodes.link!);
  root.children?.set('tty', nodes.tty!);
  return root;
}

function source(root: TreeNode, digest = EMPTY): SourceTree {
  const digests = new WeakMap<Inode, string>();
  const passwd = root.children?.get('etc')?.children?.get('passwd');
  if (passwd) digests.set(passwd.inode, digest);
  return { root, digests, bytes: 0 };
}

/** A Nydus image with the given tree and no blobs (files without chunks read as empty). */
function nydus(root: TreeNode): NydusImage {
  const bootstrap = { root, blobs: [] } as unknown as NydusImage['bootstrap'];
  return { bootstrap, blob: () => Promise.reject(new Error('no blobs')) } as unknown as NydusImage;
}

describe('checkFilesystem', () => {
  it('finds equal trees equal, reading every file', async () => {
    const { log, paths, content } = await checkFilesystem(source(tree()), nydus(tree()));
    expect(log.differences).toEqual([]);
    expect(paths).toBe(5);
    expect(content.files).toBe(1);
  });

  it('names the path and field of each metadata difference', async () => {
    const changed = tree((n) => {
      n.passwd!.inode.perm = 0o4755;
      n.passwd!.inode.uid = 1000;
      n.passwd!.inode.xattrs = new Map([['user.a', Buffer.from([0, 1])], ['user.b', Buffer.from('y')]]);
      n.link!.inode.linkTarget = toByteString('/etc/shadow');
      n.tty!.inode.devMinor = 1;
    });
    const { log } = await checkFilesystem(source(tree()), nydus(changed));
    expect(log.differences.map((d) => [d.path, d.field, d.expected, d.found])).toEqual([
      ['/etc/passwd', 'mode', '0644', '04755'],
      ['/etc/passwd', 'uid', '0', '1000'],
      ['/etc/passwd', 'xattr "user.a"', '"x"', '0x0001'],
      ['/etc/passwd', 'xattr "user.b"', '(absent)', '"y"'],
      ['/link', 'link target', '"/etc/passwd"', '"/etc/shadow"'],
      ['/tty', 'rdev', '5:0', '5:1'],
    ]);
  });

  it('reports presence, type and content differences', async () => {
    const changed = tree((n) => {
      n.tty = leaf(newInode('fifo'));
      n.etc!.children?.set('extra', leaf(newInode('file')));
    });
    const src = source(tree(), 'sha256:1234');
    const { log } = await checkFilesystem(src, nydus(changed));
    expect(log.differences.map((d) => [d.path, d.field, d.expected, d.found])).toEqual([
      ['/etc/passwd', 'content', 'sha256:1234', EMPTY],
      ['/tty', 'type', 'char', 'fifo'],
      ['/etc/extra', 'presence', '(absent)', 'present'],
    ]);
  });
});
