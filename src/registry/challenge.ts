/**
 * Parsing `WWW-Authenticate` challenges as registries send them:
 *
 *   Basic realm="Registry Realm"
 *   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"
 *
 * References: RFC 7235 section 4.1; https://distribution.github.io/distribution/spec/auth/token/
 */

/** Challenge is one parsed authentication challenge. */
export interface Challenge {
  scheme: 'basic' | 'bearer';
  /** Parameters with lower-case names: realm, service, scope, error, … */
  params: Record<string, string>;
}

const PARAM = /\s*([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/y;

/**
 * parseChallenge returns the first Basic or Bearer challenge in a header value,
 * or undefined when there is none (an unknown scheme, or an empty header).
 */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(Basic|Bearer)(?:\s+|$)/i.exec(header);
  if (match === null) return undefined;
  const scheme = (match[1] as string).toLowerCase() as Challenge['scheme'];
  const params: Record<string, string> = {};
  PARAM.lastIndex = match[0].length;
  for (let m = PARAM.exec(header); m !== null && m[0] !== ''; m = PARAM.exec(header)) {
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] as string);
    params[(m[1] as string).toLowerCase()] = value;
  }
  return { scheme, params };
}
