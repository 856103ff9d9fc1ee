/**
 * Where chunk jobs run: a small fixed pool of worker threads, or the calling thread
 * when the pool size is 0. Both answer `run(job)` with the same bytes; the pool only
 * lets several batches be digested and compressed at once while the main thread
 * reads tar and writes the blob.
 *
 * Jobs are handed to idle workers in submission order; the answers may arrive in
 * any order, and callers that need order (the blob writer) await them in order.
 *
 * Leaks: an idle worker is unref'd, so a pool somebody forgot to close cannot keep
 * the process alive; a busy one is ref'd, so a pending job does. Failure: a worker
 * that dies (uncaught error, exit) breaks the whole pool: every pending and later
 * job is rejected with a WorkerError and the other workers are terminated.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { NydusifyError } from '../errors.js';
import { runChunkJob, type ChunkJob, type ChunkJobResult } from './chunk-job.js';

/** WorkerError reports a chunk worker that failed or died; code ERR_WORKER. */
export class WorkerError extends NydusifyError {
  constructor(detail: string, options: { cause?: unknown } = {}) {
    super('ERR_WORKER', `chunk worker: ${detail}`, options);
  }
}

/** WorkerRequest is the message the pool posts to a worker. */
export interface WorkerRequest {
  id: number;
  job: ChunkJob;
}

/** WorkerReply is a worker's answer: a result, or the error the job threw. */
export type WorkerReply =
  | { id: number; result: ChunkJobResult; error?: undefined }
  | { id: number; error: { code: string; message: string }; result?: undefined };

/** ChunkExecutor runs chunk jobs; see the module comment. */
export interface ChunkExecutor {
  /** Worker threads used; 0 when jobs run on the calling thread. */
  readonly threads: number;
  /** Runs one job. The job's `data` buffer is handed over: do not touch it afterwards. */
  run(job: ChunkJob): Promise<ChunkJobResult>;
  /** Stops the workers; pending jobs are rejected. Safe to call twice. */
  close(): Promise<void>;
}

/** defaultThreads is the pool size used when none is given: one per available core. */
export function defaultThreads(): number {
  return availableParallelism();
}

/** MAX_THREADS bounds `--threads`: more workers than this only add memory. */
export const MAX_THREADS = 64;

/** Returns an executor with `threads` workers, or the in-thread one for 0. */
export function chunkExecutor(threads: number, workerUrl?: URL): ChunkExecutor {
  return threads === 0 ? new InlineExecutor() : new ChunkPool(threads, workerUrl);
}

/** InlineExecutor runs every job on the calling thread, one at a time. */
export class InlineExecutor implements ChunkExecutor {
  readonly threads = 0;

  /** Runs `job` now; the promise only carries the result or error. */
  async run(job: ChunkJob): Promise<ChunkJobResult> {
    return runChunkJob(job);
  }

  /** Nothing to stop. */
  async close(): Promise<void> {}
}

interface Task {
  id: number;
  job: ChunkJob;
  resolve(result: ChunkJobResult): void;
  reject(err: unknown): void;
}

interface Slot {
  worker: Worker;
  task: Task | undefined;
}

/** ChunkPool runs jobs on a fixed set of worker threads; see the module comment. */
export class ChunkPool implements ChunkExecutor {
  readonly threads: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  private broken: WorkerError | undefined;

  /** Starts `threads` workers from `workerUrl` (chunk-worker.js by default). */
  constructor(threads: number, workerUrl: URL = defaultWorkerUrl()) {
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
      const detail = `chunk pool: ${threads} threads is not 1..${MAX_THREADS}`;
      throw new NydusifyError('ERR_INTERNAL', detail);
    }
    this.threads = threads;
    for (let i = 0; i < threads; i++) this.slots.push(this.startWorker(workerUrl));
  }

  /** Queues `job`; it runs on the first idle worker. */
  run(job: ChunkJob): Promise<ChunkJobResult> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.dispatch();
    });
  }

  /** Terminates every worker and rejects what is still pending. */
  async close(): Promise<void> {
    this.fail(new WorkerError('the pool was closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private startWorker(url: URL): Slot {
    // The parent's flags are not passed on: some (--input-type, --eval) make a
    // worker fail to start, and none of them change what a worker computes.
    const worker = new Worker(url, { execArgv: [] });
    const slot: Slot = { worker, task: undefined };
    worker.on('message', (reply: WorkerReply) => this.settle(slot, reply));
    worker.on('error', (err) => {
      this.fail(new WorkerError(`thread failed: ${err.message}`, { cause: err }));
    });
    worker.on('exit', (code) => this.fail(new WorkerError(`thread exited with code ${code}`)));
    // After the listeners: adding a message listener refs the worker's port again.
    worker.unref();
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      const task = slot.task === undefined ? this.queue.shift() : undefined;
      if (task === undefined) continue;
      slot.task = task;
      slot.worker.ref();
      const request: WorkerRequest = { id: task.id, job: task.job };
      slot.worker.postMessage(request, [task.job.data.buffer as ArrayBuffer]);
    }
  }

  private settle(slot: Slot, reply: WorkerReply): void {
    const task = slot.task;
    if (task === undefined || task.id !== reply.id) return;
    slot.task = undefined;
    slot.worker.unref();
    if (reply.error !== undefined) {
      task.reject(new NydusifyError(reply.error.code, `chunk worker: ${reply.error.message}`));
    } else {
      task.resolve(reply.result);
    }
    this.dispatch();
  }

  /** Breaks the pool: rejects everything pending, stops every worker. Idempotent. */
  private fail(err: WorkerError): void {
    if (this.broken !== undefined) return;
    this.broken = err;
    for (const task of this.queue.splice(0)) task.reject(err);
    for (const slot of this.slots) {
      slot.task?.reject(err);
      slot.task = undefined;
      void slot.worker.terminate();
    }
  }
}

/**
 * The compiled worker beside this module. Run from TypeScript sources (vitest), this
 * module is `src/blob/chunk-pool.ts` and there is no JavaScript beside it; worker
 * threads cannot load TypeScript, so the build in `dist/` is used instead (the test
 * setup builds it before any test runs).
 */
function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('../../dist/blob/chunk-worker.js', here);
  return new URL('./chunk-worker.js', here);
}
