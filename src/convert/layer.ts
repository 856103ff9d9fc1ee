/**
 * Converting one source layer: decompress, read the tar, chunk every regular file
 * into the layer's data blob, build the layer's tree and inline its own bootstrap.
 *
 * The blob writer reads a file's body and moves on while workers compress its
 * chunks, so a file's chunk refs arrive a little after its entry. Entries wait in
 * a backlog and join the tree strictly in tar order once their refs are known:
 * the tree rules (last entry wins, hardlinks to earlier files) depend on order.
 */
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import type { ChunkExecutor } from '../blob/chunk-pool.js';
import { BlobWriter } from '../blob/writer.js';
import type { BlobInfo, BlobOptions } from '../blob/types.js';
import { LayerError, withContext } from '../errors.js';
import { openLayer } from '../layer/decompress.js';
import { readTar } from '../layer/tar.js';
import type { LayerWarning } from '../layer/tar-types.js';
import { writeBootstrap } from '../rafs/writer.js';
import { LayerTree } from '../tree/layer-tree.js';
import type { ChunkRef, EntryMeta, TreeNode } from '../tree/types.js';
import type { ConvertWarning, ProgressListener } from './events.js';

/** LayerInput names the layer and how to read it. */
export interface LayerInput {
  index: number;
  count: number;
  digest: string;
  size: number;
  open(): Promise<Readable>;
}

/** ConvertedLayer is one finished data blob plus the layer's tree. */
export interface ConvertedLayer {
  /** Path of the finished blob file. */
  path: string;
  digest: string;
  size: number;
  /** Blob-table record for the merged bootstrap. */
  info: BlobInfo;
  /** The blob's `blob.meta` cache file, for the bootstrap layer; none without chunks. */
  metaCache?: Buffer;
  tree: TreeNode;
  files: number;
  chunks: number;
  sourceBytes: number;
  /** Uncompressed tar bytes read. */
  tarBytes: number;
  seconds: number;
}

/** Options of one layer's conversion. */
export interface LayerOptions extends BlobOptions {
  workDir: string;
  /** Runs chunk compression and digests; the calling thread when undefined. */
  executor?: ChunkExecutor;
  onProgress?: ProgressListener;
  onWarning?: (w: ConvertWarning) => void;
}

/** Converts one layer into a Nydus data blob written under `opts.workDir`. */
export async function convertLayer(input: LayerInput, opts: LayerOptions): Promise<ConvertedLayer> {
  const started = performance.now();
  const path = join(opts.workDir, `layer-${input.index}.blob`);
  const writer = new BlobWriter(path, opts, input.index, { executor: opts.executor });
  const tree = new LayerTree(input.digest);
  const backlog = new TreeBacklog(tree);
  const counter = { source: 0, tar: 0, files: 0 };
  const report = (state: 'start' | 'progress' | 'done') =>
    opts.onProgress?.({
      phase: 'layer',
      state,
      index: input.index,
      count: input.count,
      digest: input.digest,
      bytesRead: counter.source,
      size: input.size,
      files: counter.files,
    });
  report('start');
  try {
    const raw = countBytes(await input.open(), (n) => {
      counter.source += n;
    });
    const tar = countBytes(await openLayer(raw, input.digest), (n) => {
      counter.tar += n;
    });
    const onWarning = (w: LayerWarning) => refuseDroppedEntries(w, opts.onWarning);
    for await (const entry of readTar(tar, input.digest, { onWarning })) {
      const queued =
        entry.type === 'file' ? await writer.queueFile(entry.body, entry.size) : undefined;
      backlog.push(entry, queued?.chunks);
      counter.files += 1;
      if (counter.files % 256 === 0) report('progress');
    }
    const inlineInfo = await writer.finishData();
    await backlog.finish();
    const ownBlobs: Array<BlobInfo | undefined> = [];
    ownBlobs[input.index] = inlineInfo;
    const bootstrap = writeBootstrap(tree.root, ownBlobs, opts);
    const blob = await writer.finish(bootstrap);
    report('done');
    return {
      path,
      digest: blob.digest,
      size: blob.size,
      info: blob.info,
      metaCache: blob.metaCache,
      tree: tree.root,
      files: counter.files,
      chunks: blob.info.chunkCount,
      sourceBytes: counter.source,
      tarBytes: counter.tar,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (err) {
    await writer.abort().catch(() => undefined);
    throw withContext(`converting layer ${input.index + 1}/${input.count} (${input.digest})`, err);
  }
}

/** An entry waiting for its chunk refs before it joins the tree. */
interface WaitingEntry {
  entry: EntryMeta;
  refs: Promise<ChunkRef[]> | undefined;
  chunks: ChunkRef[] | undefined;
}

/**
 * TreeBacklog adds entries to a LayerTree in the order they were pushed, each once
 * its chunk refs are known. Only entries whose files are still being compressed
 * wait, which the blob writer's window keeps to a bounded number.
 */
class TreeBacklog {
  private readonly waiting: WaitingEntry[] = [];
  private head = 0;

  constructor(private readonly tree: LayerTree) {}

  /** Queues `entry`; `refs` are its file's chunks, undefined for an entry without data. */
  push(entry: EntryMeta, refs: Promise<ChunkRef[]> | undefined): void {
    const item: WaitingEntry = { entry, refs, chunks: refs === undefined ? [] : undefined };
    // A rejection is not lost: finishData, awaited before finish, throws it.
    refs?.then((chunks) => (item.chunks = chunks), () => undefined);
    this.waiting.push(item);
    this.addReady();
  }

  /** Adds every entry; call once the writer has stored every chunk. */
  async finish(): Promise<void> {
    for (; this.head < this.waiting.length; this.head++) {
      const item = this.waiting[this.head] as WaitingEntry;
      this.tree.add(item.entry, item.chunks ?? (await item.refs) ?? []);
    }
    this.waiting.length = 0;
    this.head = 0;
  }

  private addReady(): void {
    while (this.head < this.waiting.length) {
      const item = this.waiting[this.head] as WaitingEntry;
      if (item.chunks === undefined) break;
      this.tree.add(item.entry, item.chunks);
      this.head++;
    }
    // Drop the added prefix now and then, so the array does not grow with the layer.
    if (this.head > 4096 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** Passes a stream through, calling `add` with the size of every piece. */
function countBytes(stream: Readable, add: (n: number) => void): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      add(chunk.length);
      done(null, chunk);
    },
  });
  stream.on('error', (err) => counter.destroy(err));
  return stream.pipe(counter);
}

/**
 * The converter's warning policy: an entry the tar reader would leave out (a GNU
 * sparse file, an unknown entry type) fails the layer, since an image missing a
 * file is a corrupt image, and Docker refuses such layers too. Other warnings
 * (ignored trailing bytes) are passed on.
 */
function refuseDroppedEntries(w: LayerWarning, pass?: (w: ConvertWarning) => void): void {
  if (w.code === 'TAR_SPARSE_SKIPPED' || w.code === 'TAR_UNKNOWN_TYPE') {
    const detail = w.code === 'TAR_SPARSE_SKIPPED' ? 'GNU sparse files are not supported' : w.message.replace(/; entry skipped$/, ' is not supported');
    throw new LayerError(w.layer, w.entry, detail, {
      hint: 'rebuild the layer with a tar that writes plain entries (GNU tar without --sparse)',
    });
  }
  pass?.({ code: w.code, message: `layer ${w.layer}: ${w.message}` });
}
