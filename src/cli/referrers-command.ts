/**
 * `nydusify referrers REF`: lists the manifests that refer to an image through
 * `subject`, from the registry's referrers API or, without one, from the
 * `sha256-<hex>` fallback tag; as text, or as JSON with `--json`.
 */
import { Command, Option } from 'commander';
import { listReferrers, type ReferrerList } from '../convert/referrer.js';
import { UsageError } from '../errors.js';
import { parsePlatform } from '../oci/platform.js';
import { parseReference } from '../transport/reference.js';
import { RegistrySource } from '../transport/registry-source.js';
import { NYDUS_ARTIFACT_TYPE } from '../transport/select.js';
import { imageRegistryFlagTable, type ImageRegistryFlags } from './registry-flags.js';

/** ReferrersFlags are the parsed flags of `referrers`. */
export interface ReferrersFlags extends ImageRegistryFlags {
  platform?: string;
  json: boolean;
}

type FlagTable = { [K in keyof ReferrersFlags]-?: Option };

/** The flags of `referrers`, one entry per option. */
function referrersFlagTable(): FlagTable {
  return {
    platform: new Option(
      '--platform <os/arch[/variant]>',
      'list the referrers of this platform\'s manifest when REF names an index (default: of what REF names)',
    ),
    json: new Option('--json', 'print the list as JSON').default(false),
    ...imageRegistryFlagTable(),
  };
}

/** Builds the `referrers` command. */
export function referrersCommand(): Command {
  const cmd = new Command('referrers')
    .description('list the images that refer to an image (such as its Nydus image made with --with-referrer)')
    .argument('<ref>', 'image in a registry: [docker://]REGISTRY/REPO[:TAG|@DIGEST]');
  for (const option of Object.values(referrersFlagTable())) cmd.addOption(option);
  cmd.addHelpText(
    'after',
    `
Each line is: digest, artifact type, size, and "nydus" for a Nydus image.

Examples:
  $ nydusify referrers registry.example.com/app:v1
  $ nydusify referrers registry.example.com/app:v1 --platform linux/arm64 --json`,
  );
  cmd.action(async (ref: string, flags: ReferrersFlags) => runReferrers(ref, flags));
  return cmd;
}

async function runReferrers(text: string, flags: ReferrersFlags): Promise<void> {
  const ref = parseReference(text, 'source');
  if (ref.transport !== 'registry') {
    throw new UsageError(`${text}: referrers are listed for registry images only`, {
      hint: 'an OCI layout has no referrers API; a Nydus manifest there names its source in "subject"',
    });
  }
  const source = new RegistrySource(text, ref, { insecure: flags.insecure, plainHttp: flags.plainHttp });
  try {
    const subject = await subjectDigest(source, flags.platform);
    const list = await listReferrers(source.repository, subject);
    const json = `${JSON.stringify({ reference: text, ...list }, null, 2)}\n`;
    process.stdout.write(flags.json ? json : formatList(list));
  } finally {
    await source.close();
  }
}

/** The digest whose referrers are listed: the platform's manifest, or what the reference names. */
async function subjectDigest(source: RegistrySource, platform: string | undefined): Promise<string> {
  if (platform !== undefined) return (await source.resolve({ platform: parsePlatform(platform) })).manifestDigest;
  return source.topDigest();
}

function formatList(list: ReferrerList): string {
  const via = list.via === 'api' ? 'the referrers API' : 'the referrers tag';
  const head = `${list.referrers.length} referrer${list.referrers.length === 1 ? '' : 's'} of ${list.subject} (via ${via})\n`;
  const lines = list.referrers.map((d) => {
    const mark = d.artifactType === NYDUS_ARTIFACT_TYPE ? '  nydus' : '';
    return `${d.digest}  ${d.artifactType ?? d.mediaType}  ${d.size}${mark}\n`;
  });
  return head + lines.join('');
}
