import { describe, expect, it } from 'vitest';
import { MEDIA_TYPE, type Descriptor, type Platform } from '../oci/types.js';
import { imageEntries, isNydusEntry, NYDUS_ARTIFACT_TYPE, NYDUS_OS_FEATURE, pickPlatform } from './select.js';

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };

function entry(n: number, platform: Platform, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType: MEDIA_TYPE.ociManifest, digest: `sha256:${String(n).repeat(64)}`, size: 100 + n, platform, ...extra };
}

// Nydus entries first on purpose: the choice must not depend on index order.
const nydusAmd = entry(1, AMD64, { artifactType: NYDUS_ARTIFACT_TYPE });
const legacyNydusArm = entry(2, { ...ARM64, 'os.features': [NYDUS_OS_FEATURE] });
const amd = entry(3, AMD64);
const arm = entry(4, ARM64);
const attestation = entry(5, { os: 'unknown', architecture: 'unknown' });
const merged = [nydusAmd, legacyNydusArm, amd, arm, attestation];

describe('index entry selection with Nydus-marked entries', () => {
  it('recognises both forms of the Nydus mark', () => {
    expect(merged.map(isNydusEntry)).toEqual([true, true, false, false, false]);
  });

  it('picks the original by default and the Nydus entry when preferred', () => {
    expect(pickPlatform(merged, AMD64, 'index')).toBe(amd);
    expect(pickPlatform(merged, { os: 'linux', architecture: 'arm64' }, 'index')).toBe(arm);
    expect(pickPlatform(merged, AMD64, 'index', 'nydus')).toBe(nydusAmd);
    expect(pickPlatform(merged, ARM64, 'index', 'nydus')).toBe(legacyNydusArm);
  });

  it('falls back to the other kind when the preferred kind has no match', () => {
    expect(pickPlatform([nydusAmd, arm], AMD64, 'index')).toBe(nydusAmd);
    expect(pickPlatform([amd, arm], ARM64, 'index', 'nydus')).toBe(arm);
    expect(() => pickPlatform(merged, { os: 'linux', architecture: 's390x' }, 'index')).toThrow(/no image for platform linux\/s390x/);
  });

  it('lists the images to convert without Nydus entries and attestations', () => {
    expect(imageEntries(merged)).toEqual([amd, arm]);
    expect(imageEntries(merged, 'nydus')).toEqual([nydusAmd, legacyNydusArm]);
    expect(imageEntries([nydusAmd, attestation])).toEqual([nydusAmd]);
  });
});
