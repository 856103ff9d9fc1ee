/**
 * The text report of a check: what was compared, one line per rule, and the first
 * differences, each with rule, path or field, expected and found values.
 */
import type { CheckResult } from './check.js';
import type { Difference, RuleSummary } from './differences.js';
import { safeText } from '../text.js';

/** DEFAULT_MAX_DIFFERENCES is how many differences the text report shows. */
export const DEFAULT_MAX_DIFFERENCES = 20;

/** Longest value shown in a report line; JSON output keeps values whole. */
const MAX_VALUE_CHARS = 200;

/** formatReport renders a CheckResult for a terminal, ending with a newline. */
export function formatReport(result: CheckResult, maxDifferences = DEFAULT_MAX_DIFFERENCES): string {
  const lines: string[] = [];
  lines.push(`target      ${result.target.reference} (${result.target.manifestDigest})`);
  if (result.source) lines.push(`source      ${result.source.reference} (${result.source.manifestDigest})`);
  for (const rule of result.rules) lines.push(ruleLine(rule, result));
  const total = result.differences.length;
  if (total > 0) {
    lines.push('', `differences (${total}):`);
    for (const d of result.differences.slice(0, maxDifferences)) lines.push(`  ${differenceLine(d)}`);
    if (total > maxDifferences) {
      lines.push(`  … and ${total - maxDifferences} more (--max-differences N shows more, --output-json FILE lists all)`);
    }
  }
  lines.push('', total === 0 ? 'result: ok' : `result: the images differ (${total} difference${total === 1 ? '' : 's'})`);
  return `${lines.join('\n')}\n`;
}

/** differenceLine renders one difference as `[rule] path: field: expected X, found Y`. */
export function differenceLine(d: Difference): string {
  const where = d.path === undefined ? d.field : `${d.path}: ${d.field}`;
  // Values can come from the image itself (link targets, xattrs): one line each.
  return safeText(`[${d.rule}] ${where}: expected ${clip(d.expected)}, found ${clip(d.found)}`);
}

function ruleLine(rule: RuleSummary, result: CheckResult): string {
  const name = rule.rule.padEnd(11);
  if (!rule.ran) return `${name} skipped (${skipReason(rule, result)})`;
  const state = rule.differences === 0 ? 'ok' : `${rule.differences} difference${rule.differences === 1 ? '' : 's'}`;
  const fs = rule.rule === 'filesystem' ? result.filesystem : undefined;
  const read = fs ? `, ${fs.paths} paths, ${fs.files} files (${fs.chunks} chunks, ${fs.bytes} bytes) read back` : '';
  return `${name} ${state} (${rule.checked} checks${read})`;
}

function skipReason(rule: RuleSummary, result: CheckResult): string {
  if (rule.rule === 'filesystem' && !result.source) return 'no --source given';
  return 'the bootstrap could not be read';
}

function clip(value: string): string {
  return value.length <= MAX_VALUE_CHARS ? value : `${value.slice(0, MAX_VALUE_CHARS)}…`;
}
