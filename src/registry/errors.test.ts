import { describe, expect, it } from 'vitest';
import { NydusifyError } from '../errors.js';
import { RegistryError, parseErrorBody, redactUrl } from './errors.js';

describe('redactUrl', () => {
  it('drops user info and blanks query values that may be secret', () => {
    expect(redactUrl('https://user:pw@reg.example/v2/a/blobs/uploads/1?_state=abc&digest=sha256:00&X-Amz-Signature=zz'))
      .toBe('https://reg.example/v2/a/blobs/uploads/1?_state=REDACTED&digest=sha256%3A00&X-Amz-Signature=REDACTED');
    expect(redactUrl('http://127.0.0.1:5000/v2/?mount=sha256:1&from=x%2Fy')).toBe('http://127.0.0.1:5000/v2/?mount=sha256%3A1&from=x%2Fy');
    expect(redactUrl('not a url')).toBe('<unparsable URL>');
  });
});

describe('parseErrorBody', () => {
  it('takes the first entry of a distribution error answer', () => {
    const body = Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}},{"code":"X"}]}');
    expect(parseErrorBody(body)).toEqual({ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' });
  });

  it('gives undefined for other bodies', () => {
    expect(parseErrorBody(Buffer.from('<html>502</html>'))).toBeUndefined();
    expect(parseErrorBody(Buffer.from('{"errors":[]}'))).toBeUndefined();
    expect(parseErrorBody(Buffer.from('null'))).toBeUndefined();
  });
});

describe('RegistryError', () => {
  it('reads side, method, redacted URL, status, code and message', () => {
    const err = new RegistryError({
      side: 'target', method: 'PUT', url: 'https://u:secret@r.example/v2/a/manifests/v1?token=t0p', status: 404,
      registryCode: 'NAME_UNKNOWN', registryMessage: 'repository name not known to registry',
    });
    expect(err).toBeInstanceOf(NydusifyError);
    expect(err.code).toBe('ERR_REGISTRY');
    expect(err.message).toBe(
      'target: PUT https://r.example/v2/a/manifests/v1?token=REDACTED: 404: NAME_UNKNOWN: repository name not known to registry');
    expect(err.message).not.toContain('secret');
    expect(err.retryable).toBe(false);
  });

  it('gives hints for 401 and certificate failures', () => {
    expect(new RegistryError({ side: 'source', method: 'GET', url: 'http://r/v2/', status: 401 }).hint).toMatch(/docker login/);
    const tls = new RegistryError({ side: 'source', method: 'GET', url: 'https://r/v2/', detail: 'TLS failure: DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(tls.hint).toMatch(/--source-insecure/);
    expect(tls.message).toBe('source: GET https://r/v2/: TLS failure: DEPTH_ZERO_SELF_SIGNED_CERT');
  });
});
