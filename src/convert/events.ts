/**
 * Progress events the converter emits. The library never prints; the CLI turns
 * these into progress lines on a terminal.
 */

/** ConvertPhase names a step of a conversion. */
export type ConvertPhase = ProgressEvent['phase'];

/** ProgressEvent reports where a conversion is. */
export type ProgressEvent =
  | { phase: 'resolve'; reference: string }
  | {
      phase: 'layer';
      state: 'start' | 'progress' | 'done';
      index: number;
      count: number;
      digest: string;
      /** Compressed source bytes read so far, and the layer's size. */
      bytesRead: number;
      size: number;
      files: number;
    }
  | { phase: 'merge'; layers: number }
  | { phase: 'write'; reference: string }
  | {
      /** One data blob stored at the target (uploaded, or found there already). */
      phase: 'blob';
      state: 'start' | 'done';
      index: number;
      count: number;
      digest: string;
      size: number;
      reference: string;
    };

/** A listener for progress events. */
export type ProgressListener = (event: ProgressEvent) => void;

/** A warning about the source that did not stop the conversion. */
export interface ConvertWarning {
  code: string;
  message: string;
}
