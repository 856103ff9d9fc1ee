/**
 * Progress display: one line per layer on stderr. On a terminal the current layer
 * animates and finished layers stay as lines; elsewhere only finished layers are
 * printed, once each, so CI logs stay readable.
 */
import ora, { type Ora } from 'ora';
import type { ProgressEvent } from '../convert/events.js';
import { formatBytes } from './report.js';

/** ProgressDisplay renders ProgressEvents; call `stop()` on failure. */
export class ProgressDisplay {
  private spinner: Ora | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly quiet: boolean,
  ) {}

  /** Handles one event. */
  readonly onEvent = (event: ProgressEvent): void => {
    if (this.quiet) return;
    if (event.phase === 'layer') {
      const label = `layer ${event.index + 1}/${event.count} ${event.digest.slice(0, 19)}`;
      const figures = `${formatBytes(event.bytesRead)}/${formatBytes(event.size)}, ${plural(event.files, 'entry', 'entries')}`;
      this.step(event.state, `${label} converting${event.state === 'start' ? '' : `: ${figures}`}`, `${label} converted: ${figures}`);
    } else if (event.phase === 'blob') {
      const label = `blob ${event.index + 1}/${event.count} ${event.digest.slice(0, 19)} (${formatBytes(event.size)})`;
      this.step(event.state, `${label} storing`, `${label} stored`);
    }
  };

  /** Shows one step: animated while it runs on a terminal, one line when it is done. */
  private step(state: 'start' | 'progress' | 'done', running: string, done: string): void {
    if (!this.animate()) {
      if (state === 'done') this.stream.write(`${done}\n`);
      return;
    }
    if (state === 'start') {
      this.spinner = ora({ text: running, stream: this.stream }).start();
    } else if (state === 'progress' && this.spinner) {
      this.spinner.text = running;
    } else if (state === 'done') {
      this.spinner?.succeed(done);
      this.spinner = undefined;
    }
  }

  /**
   * Animates only on a terminal with a width: ora redraws by the column count, and
   * a terminal that reports zero columns makes it redraw forever.
   */
  private animate(): boolean {
    return this.stream.isTTY === true && (this.stream.columns ?? 0) > 0;
  }

  /** Stops an animation left running (after a failure). */
  stop(): void {
    this.spinner?.stop();
    this.spinner = undefined;
  }
}

/** `1 entry`, `2 entries`. */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
