import { describe, expect, it } from 'vitest';
import type { CheckResult } from './check.js';
import { formatReport } from './report.js';

const RESULT: CheckResult = {
  target: { reference: 'oci:out:nydus', manifestDigest: 'sha256:aa' },
  source: { reference: 'oci:in:v1', manifestDigest: 'sha256:bb' },
  rules: [
    { rule: 'manifest', ran: true, checked: 12, differences: 0 },
    { rule: 'bootstrap', ran: true, checked: 40, differences: 1 },
    { rule: 'filesystem', ran: true, checked: 90, differences: 2 },
  ],
  differences: [
    { rule: 'bootstrap', field: 'blobs[0].ci_offset', expected: '0x100', found: '0x200' },
    { rule: 'filesystem', path: '/etc/passwd', field: 'mode', expected: '0644', found: '0645' },
    { rule: 'filesystem', path: '/bin', field: 'presence', expected: 'present', found: '(absent)' },
  ],
  filesystem: { paths: 30, files: 10, chunks: 11, bytes: 5000 },
};

describe('formatReport', () => {
  it('lists the rules, the first differences and a count of the rest', () => {
    expect(formatReport(RESULT, 2)).toBe(
      [
        'target      oci:out:nydus (sha256:aa)',
        'source      oci:in:v1 (sha256:bb)',
        'manifest    ok (12 checks)',
        'bootstrap   1 difference (40 checks)',
        'filesystem  2 differences (90 checks, 30 paths, 10 files (11 chunks, 5000 bytes) read back)',
        '',
        'differences (3):',
        '  [bootstrap] blobs[0].ci_offset: expected 0x100, found 0x200',
        '  [filesystem] /etc/passwd: mode: expected 0644, found 0645',
        '  … and 1 more (--max-differences N shows more, --output-json FILE lists all)',
        '',
        'result: the images differ (3 differences)',
        '',
      ].join('\n'),
    );
  });

  it('says which rules were skipped and why', () => {
    const text = formatReport({
      target: RESULT.target,
      rules: [
        { rule: 'manifest', ran: true, checked: 3, differences: 0 },
        { rule: 'bootstrap', ran: true, checked: 9, differences: 0 },
        { rule: 'filesystem', ran: false, checked: 0, differences: 0 },
      ],
      differences: [],
    });
    expect(text).toContain('filesystem  skipped (no --source given)\n');
    expect(text.endsWith('\nresult: ok\n')).toBe(true);
  });
});
