/**
 * Text shown to people from untrusted sources: names and link targets out of an
 * image, messages out of a registry. Control characters could drive a terminal or
 * forge report lines, and bidirectional overrides could disguise a name, so they
 * are shown escaped.
 */

/** C0 controls, DEL, C1 controls and the Unicode bidirectional controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');

/** isPrintableUtf8 says whether bytes are valid UTF-8 without control characters. */
export function isPrintableUtf8(bytes: Buffer): boolean {
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) return false;
  return !CONTROL.test(text);
}

/**
 * displayBytes shows a byte string (a name or link target) as text: decoded UTF-8
 * when it is printable, else printable ASCII kept and every other byte as `\xNN`.
 * A backslash is doubled in the escaped form so the result reads back unambiguously.
 */
export function displayBytes(byteString: string): string {
  const bytes = Buffer.from(byteString, 'latin1');
  if (isPrintableUtf8(bytes) && !byteString.includes('\\')) return bytes.toString('utf8');
  let out = '';
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** safeText escapes the control characters of a JavaScript string as `\uNNNN`. */
export function safeText(text: string): string {
  return text.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
