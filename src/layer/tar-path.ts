/**
 * Lexical normalisation of tar entry paths.
 *
 * Layer tars name entries `./etc/passwd`, `etc/passwd`, `/etc/passwd` or
 * `etc//x/./passwd/`; all of these are the same file. `..` is resolved
 * lexically (`a/../b` is `b`), the way containerd's `filepath.Clean` does, and a
 * path that climbs above the root is refused: written as-is it would let a layer
 * place files outside the image (CVE-2018-15664-class bugs in extractors).
 */

/**
 * Returns the normalised form of a byte-string path: no leading `/` or `./`,
 * no trailing `/`, no `.` or empty components, `..` resolved; the root itself
 * is `''`. Returns null when `..` would climb above the root.
 */
export function normalisePath(raw: string): string | null {
  const out: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return null;
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out.join('/');
}
