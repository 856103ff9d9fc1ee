/**
 * Converting one source layer: decompress, read the tar, chunk every regular file
 * into the layer's data blob, build the layer's tree and inline its own bootstrap.
 */
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { BlobWriter } from '../blob/writer.js';
import type { BlobInfo, BlobOptions } from '../blob/types.js';
import { withContext } from '../errors.js';
import { openLayer } from '../layer/decompress.js';
import { readTar } from '../layer/tar.js';
import { writeBootstrap } from '../rafs/writer.js';
import { LayerTree } from '../tree/layer-tree.js';
import type { TreeNode } from '../tree/types.js';
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
  onProgress?: ProgressListener;
  onWarning?: (w: ConvertWarning) => void;
}

/** Converts one layer into a Nydus data blob written under `opts.workDir`. */
export async function convertLayer(input: LayerInput, opts: LayerOptions): Promise<ConvertedLayer> {
  const started = performance.now();
  const path = join(opts.workDir, `layer-${input.index}.blob`);
  const writer = new BlobWriter(path, opts, input.index);
  const tree = new LayerTree(input.digest);
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
    for await (const entry of readTar(tar, input.digest, { onWarning: opts.onWarning })) {
      const chunks = entry.type === 'file' ? await writer.addFile(entry.body, entry.size) : [];
      tree.add(entry, chunks);
      counter.files += 1;
      if (counter.files % 256 === 0) report('progress');
    }
    const inlineInfo = await writer.finishData();
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
