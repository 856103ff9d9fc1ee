import { describe, expect, it } from 'vitest';
import { displayBytes, safeText } from './text.js';
import { errorLine } from './cli/report.js';
import { NydusifyError } from './errors.js';

describe('text from untrusted sources', () => {
  it('escapes terminal controls, newlines and bidirectional overrides', () => {
    expect(safeText('a\u001b[31mred\nnext\u202eevil\u0007')).toBe('a\\u001b[31mred\\u000anext\\u202eevil\\u0007');
    expect(safeText('plain text, ünïcode')).toBe('plain text, ünïcode');
  });

  it('shows names byte for byte, escaped when not printable UTF-8', () => {
    const raw = Buffer.from([0x62, 0xff, 0x0a, 0x5c]).toString('latin1');
    expect(displayBytes(raw)).toBe('b\\xff\\x0a\\\\');
    expect(displayBytes(Buffer.from('x\u202ey').toString('latin1'))).toBe('x\\xe2\\x80\\xaey');
    expect(displayBytes(Buffer.from('über').toString('latin1'))).toBe('über');
  });

  it('keeps a registry message from driving the terminal in the error line', () => {
    const err = new NydusifyError('ERR_REGISTRY', 'GET /v2/: 403: DENIED: \u001b]0;pwned\u0007 go away\nresult: ok');
    expect(errorLine(err)).toBe('error: GET /v2/: 403: DENIED: \\u001b]0;pwned\\u0007 go away');
  });
});
