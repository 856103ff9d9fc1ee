import { describe, expect, it } from 'vitest';
import { parseChallenge } from './challenge.js';

describe('parseChallenge', () => {
  it('reads a bearer challenge with quoted and bare parameters', () => {
    const header = 'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push",error=insufficient_scope';
    expect(parseChallenge(header)).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry.example',
        scope: 'repository:a/b:pull,push',
        error: 'insufficient_scope',
      },
    });
  });

  it('reads basic challenges, any case, with escaped quotes', () => {
    expect(parseChallenge('basic Realm="say \\"hi\\""')).toEqual({ scheme: 'basic', params: { realm: 'say "hi"' } });
    expect(parseChallenge('Basic')).toEqual({ scheme: 'basic', params: {} });
  });

  it('ignores unknown schemes and absent headers', () => {
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
    expect(parseChallenge('BearerX realm="x"')).toBeUndefined();
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});
