import { describe, expect, it } from 'vitest';
import { MEDIA_TYPE, NYDUS_ANNOTATION, type Descriptor } from '../oci/types.js';
import type { SourceImage } from '../transport/types.js';
import { checkManifest } from './manifest-rules.js';

const D = (n: number) => `sha256:${String(n).repeat(64)}`;
const BOOT_DIFF_ID = D(9);

function blobLayer(n: number): Descriptor {
  return { mediaType: MEDIA_TYPE.nydusBlob, digest: D(n), size: 100, annotations: { [NYDUS_ANNOTATION.blob]: 'true' } };
}
const BOOT: Descriptor = {
  mediaType: MEDIA_TYPE.ociLayerGzip,
  digest: D(8),
  size: 50,
  annotations: { [NYDUS_ANNOTATION.bootstrap]: 'true', [NYDUS_ANNOTATION.fsVersion]: '6' },
};

function image(layers: Descriptor[], config: unknown): SourceImage {
  return {
    manifest: { schemaVersion: 2, config: { mediaType: MEDIA_TYPE.ociConfig, digest: D(7), size: 2 }, layers },
    manifestBytes: Buffer.alloc(0),
    manifestDigest: D(6),
    manifestMediaType: MEDIA_TYPE.ociManifest,
    configBytes: Buffer.from(typeof config === 'string' ? config : JSON.stringify(config)),
  };
}

const runConfig = { Env: ['PATH=/bin'], Cmd: ['/bin/sh'] };
const nydusConfig = { os: 'linux', architecture: 'amd64', config: runConfig, rootfs: { type: 'layers', diff_ids: [D(1), D(2), BOOT_DIFF_ID] } };

describe('checkManifest', () => {
  it('accepts a well-formed Nydus manifest whose config matches the source', () => {
    const source = image([], { os: 'linux', architecture: 'amd64', config: { ...runConfig, ArgsEscaped: true } });
    const log = checkManifest(image([blobLayer(1), blobLayer(2), BOOT], nydusConfig), { bootstrapDiffId: BOOT_DIFF_ID, source });
    expect(log.differences).toEqual([]);
    // 2 blob layers × 2, bootstrap 2, diff_ids length + 3, os, architecture, Cmd, Env.
    expect(log.checked).toBe(4 + 2 + 4 + 4);
  });

  it('names each layer field and diff_id that breaks a rule', () => {
    const plain = { ...blobLayer(1), mediaType: MEDIA_TYPE.ociLayerGzip, annotations: {} };
    const config = { ...nydusConfig, rootfs: { diff_ids: [D(3), D(2), D(5)] } };
    const log = checkManifest(image([plain, blobLayer(2), BOOT], config), { bootstrapDiffId: BOOT_DIFF_ID });
    expect(log.differences.map((d) => [d.field, d.expected, d.found])).toEqual([
      ['manifest.layers[0].mediaType', MEDIA_TYPE.nydusBlob, MEDIA_TYPE.ociLayerGzip],
      [`manifest.layers[0].annotations["${NYDUS_ANNOTATION.blob}"]`, 'true', '(absent)'],
      ['config.rootfs.diff_ids[0]', D(1), D(3)],
      ['config.rootfs.diff_ids[2]', BOOT_DIFF_ID, D(5)],
    ]);
  });

  it('shows config values as sorted JSON, absent ones as (absent)', () => {
    const source = image([], { os: 'linux', architecture: 'arm64', config: { Cmd: ['/bin/sh'], Labels: { b: '2', a: '1' } } });
    const log = checkManifest(image([blobLayer(1), blobLayer(2), BOOT], nydusConfig), { source });
    expect(log.differences.map((d) => [d.field, d.expected, d.found])).toEqual([
      ['config.architecture', '"arm64"', '"amd64"'],
      ['config.config.Env', '(absent)', '["PATH=/bin"]'],
      ['config.config.Labels', '{"a":"1","b":"2"}', '(absent)'],
    ]);
  });

  it('reports a config that is not JSON instead of throwing', () => {
    const log = checkManifest(image([blobLayer(1), BOOT], '{nope'));
    expect(log.differences).toHaveLength(1);
    expect(log.differences[0]).toMatchObject({ rule: 'manifest', field: 'target config', expected: 'a JSON object' });
  });
});
