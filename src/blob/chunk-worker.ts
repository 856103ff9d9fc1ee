/**
 * The body of one chunk worker thread: it runs `runChunkJob` on every batch the
 * pool posts and posts the result back, handing the buffers over rather than
 * copying them. A job that throws is answered with the error's code and message;
 * the thread itself keeps serving.
 */
import { parentPort } from 'node:worker_threads';
import { NydusifyError } from '../errors.js';
import { runChunkJob, type ChunkJobResult } from './chunk-job.js';
import type { WorkerReply, WorkerRequest } from './chunk-pool.js';

const port = parentPort;
if (port === null) throw new Error('chunk-worker.js runs only as a worker thread');

port.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const result = runChunkJob(request.job);
    reply = { id: request.id, result };
    transfer = buffersOf(result);
  } catch (err) {
    const code = err instanceof NydusifyError ? err.code : 'ERR_INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    reply = { id: request.id, error: { code, message } };
  }
  port.postMessage(reply, transfer);
});

/** The distinct ArrayBuffers of a result: listing one twice makes postMessage throw. */
function buffersOf(r: ChunkJobResult): ArrayBuffer[] {
  const views = [r.data, r.stored, r.compressed, r.digests, r.crcs];
  const all = views.map((v) => v.buffer as ArrayBuffer);
  return [...new Set(all)];
}
