/**
 * Platforms: the host's, parsing `os/arch[/variant]`, and matching an index entry's
 * platform against a wanted one.
 *
 * Names are normalised the way containerd and the OCI image-index spec use them:
 * `x86_64` is `amd64`, `aarch64` is `arm64`, arm64's default variant is `v8` and
 * 32-bit arm's is `v7`, so `linux/arm64` and `linux/arm64/v8` name the same thing.
 */
import { arch as hostArch, endianness } from 'node:os';
import { UsageError } from '../errors.js';
import type { Platform } from './types.js';

/** Node's `process.arch` names mapped to OCI architecture names. */
const NODE_ARCH_TO_OCI: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/** Architecture aliases other tools write, mapped to the OCI name. */
const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  i386: '386',
  i686: '386',
  x86: '386',
  armhf: 'arm',
  armel: 'arm',
};

/** The variant an architecture has when an index entry leaves it out. */
const DEFAULT_VARIANT: Record<string, string> = {
  arm64: 'v8',
  arm: 'v7',
};

/** hostPlatform returns `linux/<arch>[/variant]` for the machine this runs on. */
export function hostPlatform(): Platform {
  const nodeArch = hostArch();
  let architecture = NODE_ARCH_TO_OCI[nodeArch] ?? nodeArch;
  // Node calls both endiannesses of 64-bit POWER `ppc64`; OCI names them apart.
  if (nodeArch === 'ppc64' && endianness() === 'BE') architecture = 'ppc64';
  const platform: Platform = { os: 'linux', architecture };
  if (architecture === 'arm') {
    const armVersion = (process.config.variables as Record<string, unknown>).arm_version;
    platform.variant = typeof armVersion === 'string' ? `v${armVersion}` : DEFAULT_VARIANT.arm;
  } else if (architecture === 'arm64') {
    platform.variant = DEFAULT_VARIANT.arm64;
  }
  return platform;
}

const PLATFORM_PART = /^[a-z0-9._-]+$/;

/**
 * parsePlatform reads `os/arch[/variant]` (for example `linux/arm64/v8`), throwing a
 * UsageError for anything else. The result is normalised.
 */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PLATFORM_PART.test(p))) {
    throw new UsageError(`bad platform ${JSON.stringify(text)}`, {
      hint: 'write os/arch or os/arch/variant, for example linux/amd64 or linux/arm64/v8',
    });
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalizePlatform(variant === undefined ? { os, architecture } : { os, architecture, variant });
}

/** normalizePlatform maps aliases to OCI names and fills in the default variant. */
export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase();
  const rawArch = platform.architecture.toLowerCase();
  const architecture = ARCH_ALIASES[rawArch] ?? rawArch;
  let variant = platform.variant?.toLowerCase() || undefined;
  if (rawArch === 'armel' && variant === undefined) variant = 'v6';
  if (architecture === 'arm64' && variant === '8') variant = 'v8';
  if (architecture === 'arm' && variant !== undefined && /^[5-8]$/.test(variant)) {
    variant = `v${variant}`;
  }
  variant ??= DEFAULT_VARIANT[architecture];
  const out: Platform = { os, architecture };
  if (variant !== undefined) out.variant = variant;
  return out;
}

/**
 * platformMatches tells whether an image built for `have` serves `want`: same OS,
 * same architecture, and the same variant once defaults are filled in. A `want`
 * without a variant accepts any variant of its architecture, except where the
 * architecture has a default variant (arm, arm64), which it then means.
 */
export function platformMatches(have: Platform, want: Platform): boolean {
  const h = normalizePlatform(have);
  const w = normalizePlatform(want);
  if (h.os !== w.os || h.architecture !== w.architecture) return false;
  return w.variant === undefined || h.variant === w.variant;
}

/** formatPlatform writes a platform as `os/arch[/variant]`. */
export function formatPlatform(platform: Platform): string {
  const base = `${platform.os}/${platform.architecture}`;
  return platform.variant ? `${base}/${platform.variant}` : base;
}
