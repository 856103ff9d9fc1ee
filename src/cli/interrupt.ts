/**
 * Clean-up on Ctrl-C and SIGTERM: a conversion stages blobs in a work folder and
 * the target in a temp folder; without this, an interrupted run leaves both.
 */

type Cleanup = () => Promise<void>;

const cleanups = new Set<Cleanup>();
let installed = false;
let interrupted = false;

/** How long clean-up may take before the process exits anyway. */
const CLEANUP_TIMEOUT_MS = 5000;

/** Registers `fn` to run on interruption; returns a function that unregisters it. */
export function onInterrupt(fn: Cleanup): () => void {
  install();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      // A second signal means "now": skip the clean-up still running.
      if (interrupted) process.exit(code);
      interrupted = true;
      process.stderr.write(`\ninterrupted: cleaning up\n`);
      const timeout = new Promise((resolve) => setTimeout(resolve, CLEANUP_TIMEOUT_MS).unref());
      const all = Promise.allSettled([...cleanups].map((fn) => fn()));
      void Promise.race([all, timeout]).then(() => process.exit(code));
    });
  }
}
