/**
 * The vocabulary of `check`: one Difference per broken rule, the result of a whole
 * check, and the error the CLI throws when images differ.
 */
import { NydusifyError } from '../errors.js';

/** RuleName names the three rule groups of a check. */
export type RuleName = 'manifest' | 'bootstrap' | 'filesystem';

/**
 * Difference is one broken rule: where (`path` for file-system paths, `field` for
 * the manifest, config, bootstrap or blob field), what the rule wanted and what
 * the image has. Values are display strings so that text and JSON agree.
 */
export interface Difference {
  rule: RuleName;
  /** Absolute path in the image's file tree, for file-system differences. */
  path?: string;
  field: string;
  expected: string;
  found: string;
}

/** RuleSummary says whether a rule group ran and how much it looked at. */
export interface RuleSummary {
  rule: RuleName;
  /** False when the rule needs something that is missing (a source, a bootstrap). */
  ran: boolean;
  /** Number of individual comparisons made. */
  checked: number;
  differences: number;
}

/** ABSENT is shown as the value of something that does not exist. */
export const ABSENT = '(absent)';

/**
 * DifferenceLog collects differences and counts comparisons for one rule group,
 * so each rule module reads as a list of `expect` calls.
 */
export class DifferenceLog {
  /** Differences found so far. */
  readonly differences: Difference[] = [];
  /** Comparisons made so far. */
  checked = 0;

  /** @param rule is recorded in every difference this log makes. */
  constructor(readonly rule: RuleName) {}

  /** expect compares two display values and records a difference when they differ. */
  expect(field: string, expected: string, found: string, path?: string): boolean {
    this.checked += 1;
    if (expected === found) return true;
    this.add(field, expected, found, path);
    return false;
  }

  /** add records a difference found by other means (a failed read, a missing part). */
  add(field: string, expected: string, found: string, path?: string): void {
    const d: Difference = { rule: this.rule, field, expected, found };
    if (path !== undefined) d.path = path;
    this.differences.push(d);
  }

  /** summary returns the log's RuleSummary. */
  summary(ran = true): RuleSummary {
    return { rule: this.rule, ran, checked: this.checked, differences: this.differences.length };
  }
}

/** MismatchError is thrown by the CLI when a check ran to the end and found differences. */
export class MismatchError extends NydusifyError {
  constructor(readonly count: number) {
    super('ERR_MISMATCH', `check: the images differ (${count} difference${count === 1 ? '' : 's'})`);
  }
}

/**
 * Error codes that mean "the image's bytes break a rule" rather than "the check
 * could not run": a structure that fails validation, content whose digest is
 * wrong, or a manifest that lacks what the bootstrap names. Rules turn errors
 * with these codes into differences and let every other error end the check.
 */
export const DIFFERENCE_ERROR_CODES: readonly string[] = ['ERR_FORMAT', 'ERR_DIGEST', 'ERR_IMAGE'];

/** isDifferenceError says whether `err` is one a rule reports as a difference. */
export function isDifferenceError(err: unknown): err is NydusifyError {
  return err instanceof NydusifyError && DIFFERENCE_ERROR_CODES.includes(err.code);
}
