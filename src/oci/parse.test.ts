import { describe, expect, it } from 'vitest';
import { ImageError } from '../errors.js';
import { MAX_MANIFEST_BYTES, parseConfig, parseIndex, parseManifest, parseManifestOrIndex } from './parse.js';
import { MEDIA_TYPE } from './types.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const manifest = {
  schemaVersion: 2,
  mediaType: MEDIA_TYPE.ociManifest,
  config: { mediaType: MEDIA_TYPE.ociConfig, digest: D1, size: 10 },
  layers: [{ mediaType: MEDIA_TYPE.ociLayerGzip, digest: D2, size: 20 }],
};

describe('parseManifest', () => {
  it('reads an OCI manifest', () => {
    expect(parseManifest(json(manifest), 'source', 'manifest m')).toEqual(manifest);
  });

  it.each([
    [{ ...manifest, config: undefined }, 'source: manifest m: config is missing'],
    [{ ...manifest, layers: undefined }, 'source: manifest m: layers is missing'],
    [{ ...manifest, layers: [{ mediaType: 'x', size: 1 }] }, 'source: manifest m: layers[0].digest is missing'],
    [{ ...manifest, layers: [{ mediaType: 'x', digest: 'sha256:zz', size: 1 }] }, 'layers[0].digest "sha256:zz" is not'],
    [{ ...manifest, layers: [{ mediaType: 'x', digest: D1, size: -1 }] }, 'layers[0].size -1 is not a byte count'],
    [{ ...manifest, config: { digest: D1, size: 1 } }, 'config.mediaType is missing'],
    [{ ...manifest, schemaVersion: 1 }, 'docker schema 1 manifests are not supported'],
    [{ ...manifest, schemaVersion: 3 }, 'schemaVersion 3 is not 2'],
    [{ ...manifest, mediaType: MEDIA_TYPE.ociIndex, manifests: [] }, 'is an index, not a manifest'],
    [{ ...manifest, mediaType: 'text/plain' }, 'media type text/plain is not an image manifest'],
    [[1, 2], 'not a JSON object'],
  ])('refuses %#', (value, message) => {
    expect(() => parseManifest(json(value), 'source', 'manifest m')).toThrow(ImageError);
    expect(() => parseManifest(json(value), 'source', 'manifest m')).toThrow(message);
  });

  it('refuses bad JSON and oversized input before parsing', () => {
    expect(() => parseManifest(Buffer.from('{'), 'target', 'm')).toThrow(/^target: m: not valid JSON/);
    const big = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20);
    expect(() => parseManifest(big, 'source', 'm')).toThrow(`over the ${MAX_MANIFEST_BYTES}-byte limit`);
  });
});

describe('parseManifestOrIndex', () => {
  it('tells an index by its mediaType, the descriptor hint, or its shape', () => {
    const index = { schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPE.ociManifest, digest: D1, size: 5 }] };
    expect(parseManifestOrIndex(json(index), 'source', 'x').kind).toBe('index');
    expect(parseManifestOrIndex(json(index), 'source', 'x', MEDIA_TYPE.dockerManifestList).mediaType).toBe(
      MEDIA_TYPE.dockerManifestList,
    );
    const bare = { ...manifest, mediaType: undefined };
    expect(parseManifestOrIndex(json(bare), 'source', 'x')).toMatchObject({
      kind: 'manifest',
      mediaType: MEDIA_TYPE.ociManifest,
    });
  });

  it('reads Docker 25 "manifests": null as an empty index', () => {
    const bytes = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":null}');
    expect(parseIndex(bytes, 'source', 'index.json').manifests).toEqual([]);
  });

  it('checks platforms of index entries', () => {
    const bad = { schemaVersion: 2, manifests: [{ mediaType: 'x', digest: D1, size: 1, platform: { os: 'linux' } }] };
    expect(() => parseIndex(json(bad), 'source', 'i')).toThrow('manifests[0].platform needs string os and architecture');
  });
});

describe('parseConfig', () => {
  const config = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [D1] } };

  it('reads a config', () => {
    expect(parseConfig(json(config), 'source', 'config c').rootfs.diff_ids).toEqual([D1]);
  });

  it.each([
    [{ ...config, os: undefined }, 'config c: os is missing'],
    [{ ...config, rootfs: undefined }, 'config c: rootfs is missing'],
    [{ ...config, rootfs: { type: 'layers' } }, 'rootfs.diff_ids is missing'],
    [{ ...config, rootfs: { type: 'layers', diff_ids: ['x'] } }, 'rootfs.diff_ids[0] "x" is not sha256'],
  ])('refuses %#', (value, message) => {
    expect(() => parseConfig(json(value), 'source', 'config c')).toThrow(message);
  });
});
