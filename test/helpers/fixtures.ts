/**
 * The images every end-to-end test converts: the real ones others wrote (in
 * ../shared/fixtures, beside the checkout) and the project's generated ones.
 */
import { join } from 'node:path';
import { ROOT } from './cli.js';

/** Real images written by other tools. */
export const SHARED_IMAGES = join(ROOT, '../shared/fixtures/images');

/** The acceptance list: each shape of source the converter reads. */
export const FIXTURE_IMAGES = [
  { name: 'alpine-3 (crane-style docker archive)', ref: `docker-archive:${SHARED_IMAGES}/alpine-3.docker.tar` },
  { name: 'hello-world arm64 (Docker 25 archive)', ref: `docker-archive:${SHARED_IMAGES}/hello-world-arm64.docker25.tar` },
  { name: 'layered (docker save layout)', ref: `docker-archive:${ROOT}fixtures/images/layered.docker.tar` },
  { name: 'layered (oci-archive, gzip/zstd/plain layers)', ref: `oci-archive:${ROOT}fixtures/images/layered.oci.tar:v1` },
];

/** Every compressor the converter offers. */
export const COMPRESSORS = ['zstd', 'lz4_block', 'none'] as const;
