/**
 * The file-tree vocabulary shared by the layer reader, the overlay merge, the RAFS
 * writer and the RAFS reader.
 *
 * Names are byte strings: every JavaScript character holds one byte (latin1), so
 * names that are not valid UTF-8 survive byte for byte, and plain string comparison
 * (`a < b`) is the unsigned bytewise order that EROFS directories need. Convert
 * with `toByteString` / `fromByteString` at the edges (PAX records, terminal output).
 */

/** FileType is the kind of a file system object. */
export type FileType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

/**
 * ChunkRef locates one chunk of a regular file inside a data blob.
 *
 * `blobIndex` indexes the list of blobs that the tree is written with (one per
 * source layer in layer order); the RAFS writer renumbers blobs for its blob table.
 */
export interface ChunkRef {
  blobIndex: number;
  /** Position of the chunk in its blob's chunk-info array. */
  chunkIndex: number;
  /** blake3 or sha256 of the uncompressed bytes, 32 bytes. */
  digest: Buffer;
  compressedOffset: number;
  compressedSize: number;
  /** 4 KiB aligned offset in the blob's uncompressed address space. */
  uncompressedOffset: number;
  uncompressedSize: number;
  /** True when the stored bytes are compressed (false: stored as-is). */
  compressed: boolean;
  /**
   * CRC-32C (Castagnoli) of the uncompressed bytes; undefined when the image
   * records none (builders before nydus 2.3.1 wrote no CRC).
   */
  crc32?: number;
}

/**
 * Inode holds the metadata of one file system object. Several tree nodes share one
 * Inode object when they are hardlinks of each other.
 */
export interface Inode {
  type: FileType;
  /** Permission bits including setuid, setgid and sticky (mode & 0o7777). */
  perm: number;
  uid: number;
  gid: number;
  /** Modification time in whole seconds since the epoch. */
  mtime: number;
  /** File size in bytes; 0 for everything but regular files. */
  size: number;
  /** Device numbers for char and block devices, else 0. */
  devMajor: number;
  devMinor: number;
  /** Symlink target as a byte string. */
  linkTarget: string;
  /** Extended attributes, name (byte string) to value bytes. */
  xattrs: Map<string, Buffer>;
  /** Chunks of a regular file in file order; empty for other types. */
  chunks: ChunkRef[];
}

/**
 * EntryMeta is what a layer says about one path: the metadata of a tar entry,
 * without its data. The tar reader's entries extend it.
 */
export interface EntryMeta {
  /**
   * Normalised byte-string path: no leading `/` or `./`, no trailing `/`, no `.`
   * or empty components, `..` resolved; the root directory itself is `''`.
   */
  path: string;
  /** The file type, or `hardlink` to an earlier entry of the same layer. */
  type: FileType | 'hardlink';
  /** mode & 0o7777; the S_IFMT bits of the tar mode field are ignored. */
  perm: number;
  uid: number;
  gid: number;
  /** Whole seconds since the epoch (a PAX fraction is truncated toward zero). */
  mtime: number;
  /** Size of a regular file's data; 0 for everything else. */
  size: number;
  /**
   * For a symlink, the target exactly as stored (byte string, not normalised);
   * for a hardlink, the normalised path of the entry it links to; else `''`.
   */
  linkTarget: string;
  /** Device numbers for char and block devices, else 0. */
  devMajor: number;
  devMinor: number;
  /** Extended attributes: name (byte string) → raw value bytes. */
  xattrs: Map<string, Buffer>;
}

/** TreeNode is one name in a directory tree. */
export interface TreeNode {
  inode: Inode;
  /** Children by name, for directories only. */
  children: Map<string, TreeNode> | null;
  /**
   * True for a directory that no tar entry described, created only because a
   * deeper path needed it. The merge keeps the lower layer's metadata for it.
   */
  implicit: boolean;
}

/** Converts a UTF-8 JavaScript string to a byte string. */
export function toByteString(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Converts a byte string back to a JavaScript string (invalid UTF-8 becomes U+FFFD). */
export function fromByteString(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** Creates an Inode with the given type and every other field zero or empty. */
export function newInode(type: FileType, fields: Partial<Inode> = {}): Inode {
  return {
    type,
    perm: type === 'dir' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    mtime: 0,
    size: 0,
    devMajor: 0,
    devMinor: 0,
    linkTarget: '',
    xattrs: new Map(),
    chunks: [],
    ...fields,
  };
}

/** Creates a directory node with no children. */
export function newDir(fields: Partial<Inode> = {}, implicit = false): TreeNode {
  return { inode: newInode('dir', fields), children: new Map(), implicit };
}

/** Returns the S_IFMT bits of st_mode for a file type. */
export function typeBits(type: FileType): number {
  switch (type) {
    case 'file':
      return 0o100000;
    case 'dir':
      return 0o040000;
    case 'symlink':
      return 0o120000;
    case 'char':
      return 0o020000;
    case 'block':
      return 0o060000;
    case 'fifo':
      return 0o010000;
    case 'socket':
      return 0o140000;
  }
}

/** Returns the file type for the S_IFMT bits of st_mode, or undefined. */
export function typeFromMode(mode: number): FileType | undefined {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o020000:
      return 'char';
    case 0o060000:
      return 'block';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    default:
      return undefined;
  }
}
