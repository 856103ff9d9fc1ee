import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openBlobFile, type BlobFile } from '../blob/reader.js';
import type { NydusImage } from '../nydus/open-image.js';
import { MEDIA_TYPE, NYDUS_ANNOTATION, type Descriptor, type Manifest } from '../oci/types.js';
import { readBootstrap } from '../rafs/reader.js';
import { checkBootstrap } from './bootstrap-rules.js';

const NYDUS = new URL('../../../shared/fixtures/nydus/', import.meta.url).pathname;
const BLOB_ID = 'be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef';
const BLOB_SIZE = 14554;

const opened: BlobFile[] = [];
afterEach(async () => {
  while (opened.length > 0) await opened.pop()?.close();
});

/** The real nydus-image 2.2 bootstrap and blob, dressed as an opened Nydus image. */
async function fixtureImage(layerSize = BLOB_SIZE): Promise<NydusImage> {
  const bootstrapBytes = await readFile(`${NYDUS}rafs-v6-2.2.boot`);
  const layers: Descriptor[] = [
    { mediaType: MEDIA_TYPE.nydusBlob, digest: `sha256:${BLOB_ID}`, size: layerSize, annotations: { [NYDUS_ANNOTATION.blob]: 'true' } },
    { mediaType: MEDIA_TYPE.ociLayerGzip, digest: `sha256:${'0'.repeat(64)}`, size: 1, annotations: { [NYDUS_ANNOTATION.bootstrap]: 'true' } },
  ];
  const manifest: Manifest = { schemaVersion: 2, config: layers[1]!, layers };
  return {
    image: { manifest, manifestBytes: Buffer.alloc(0), manifestDigest: '', manifestMediaType: MEDIA_TYPE.ociManifest, configBytes: Buffer.from('{}') },
    bootstrapLayer: layers[1]!,
    bootstrapBytes,
    bootstrap: readBootstrap(bootstrapBytes),
    async blob() {
      const blob = await openBlobFile(`${NYDUS}blobs/${BLOB_ID}`);
      opened.push(blob);
      return blob;
    },
    async close() {},
  };
}

describe('checkBootstrap', () => {
  it('finds nothing wrong with an image nydus-image 2.2 built', async () => {
    const log = await checkBootstrap(await fixtureImage());
    expect(log.differences).toEqual([]);
    // Size, ToC size and digest, meta header (6), and 6 fields for each of 2 chunks.
    expect(log.checked).toBe(1 + 2 + 6 + 2 * 6);
  });

  it('names the blob field whose recorded size is not the layer size', async () => {
    const log = await checkBootstrap(await fixtureImage(BLOB_SIZE + 1));
    expect(log.differences).toEqual([
      { rule: 'bootstrap', field: 'blobs[0].compressed_size (vs layer size)', expected: String(BLOB_SIZE + 1), found: String(BLOB_SIZE) },
    ]);
  });

  it('names a chunk-table record that disagrees with the CI array and digest array', async () => {
    const image = await fixtureImage();
    const k = image.bootstrap.chunkTable.findIndex((c) => c.index === 1);
    const chunk = image.bootstrap.chunkTable[k]!;
    chunk.compressedOffset += 0x10;
    chunk.digest = Buffer.alloc(32, 0xab);
    const log = await checkBootstrap(image);
    expect(log.differences.map((d) => [d.field, d.expected, d.found])).toEqual([
      [`chunk_table[${k}] (blob 0 chunk 1).compressed_offset`, '0x12ec', '0x12dc'],
      [`chunk_table[${k}] (blob 0 chunk 1).digest`, 'ab'.repeat(32), expect.stringMatching(/^[0-9a-f]{64}$/)],
    ]);
  });

  it('reports a blob id that no manifest layer has', async () => {
    const image = await fixtureImage();
    image.image.manifest.layers[0]!.digest = `sha256:${'1'.repeat(64)}`;
    const log = await checkBootstrap(image);
    expect(log.differences).toEqual([
      { rule: 'bootstrap', field: 'blobs[0].blob_id', expected: 'the digest of a blob layer in the manifest', found: `sha256:${BLOB_ID}` },
    ]);
  });
});
