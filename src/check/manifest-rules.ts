/**
 * Manifest rules: the target's manifest and config have the shape a Nydus image
 * must have (as nydus-snapshotter and nydusify read it, format doc §4), and with a
 * source, the container configuration survived the conversion.
 *
 * 1. every layer but the last is a Nydus blob: its media type and the
 *    `containerd.io/snapshot/nydus-blob` annotation;
 * 2. the last layer is the bootstrap layer (annotation, fs version 6 when stated);
 * 3. `rootfs.diff_ids` has one entry per layer; a blob layer's diff_id is its own
 *    digest (a Nydus blob is not compressed as a whole), the bootstrap layer's is
 *    the digest of its uncompressed tar;
 * 4. with a source: the two configs' `config` objects are equal (`ArgsEscaped`
 *    left out, as Windows-only noise), and so are `os` and `architecture`.
 */
import { MEDIA_TYPE, NYDUS_ANNOTATION } from '../oci/types.js';
import type { SourceImage } from '../transport/types.js';
import { ABSENT, DifferenceLog } from './differences.js';

/** Config keys that are not compared between source and target. */
export const IGNORED_CONFIG_KEYS = ['ArgsEscaped'];

/** Inputs of `checkManifest` beyond the target image. */
export interface ManifestRuleInput {
  /** sha256 of the bootstrap layer's uncompressed tar, when it could be read. */
  bootstrapDiffId?: string;
  source?: SourceImage;
}

/** checkManifest applies the manifest rules to `target`. */
export function checkManifest(target: SourceImage, input: ManifestRuleInput = {}): DifferenceLog {
  const log = new DifferenceLog('manifest');
  checkLayers(target, log);
  const config = parseConfig(target, 'target', log);
  if (config !== undefined) checkDiffIds(target, config, input.bootstrapDiffId, log);
  if (input.source !== undefined && config !== undefined) {
    const sourceConfig = parseConfig(input.source, 'source', log);
    if (sourceConfig !== undefined) compareConfigs(sourceConfig, config, log);
  }
  return log;
}

function checkLayers(image: SourceImage, log: DifferenceLog): void {
  const layers = image.manifest.layers;
  const last = layers.length - 1;
  layers.forEach((layer, i) => {
    const at = `manifest.layers[${i}]`;
    const notes = layer.annotations ?? {};
    if (i === last) {
      log.expect(`${at}.annotations["${NYDUS_ANNOTATION.bootstrap}"]`, 'true', notes[NYDUS_ANNOTATION.bootstrap] ?? ABSENT);
      const fsVersion = notes[NYDUS_ANNOTATION.fsVersion];
      if (fsVersion !== undefined) log.expect(`${at}.annotations["${NYDUS_ANNOTATION.fsVersion}"]`, '6', fsVersion);
      return;
    }
    log.expect(`${at}.mediaType`, MEDIA_TYPE.nydusBlob, layer.mediaType);
    log.expect(`${at}.annotations["${NYDUS_ANNOTATION.blob}"]`, 'true', notes[NYDUS_ANNOTATION.blob] ?? ABSENT);
  });
}

type Json = Record<string, unknown>;

function parseConfig(image: SourceImage, side: 'source' | 'target', log: DifferenceLog): Json | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(image.configBytes.toString('utf8'));
  } catch (err) {
    log.add(`${side} config`, 'a JSON object', `invalid JSON: ${(err as Error).message}`);
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    log.add(`${side} config`, 'a JSON object', show(parsed));
    return undefined;
  }
  return parsed as Json;
}

function checkDiffIds(image: SourceImage, config: Json, bootstrapDiffId: string | undefined, log: DifferenceLog): void {
  const rootfs = config.rootfs as { diff_ids?: unknown } | undefined;
  const diffIds = Array.isArray(rootfs?.diff_ids) ? (rootfs.diff_ids as unknown[]) : undefined;
  const layers = image.manifest.layers;
  if (diffIds === undefined) {
    log.add('config.rootfs.diff_ids', `${layers.length} diff_ids`, ABSENT);
    return;
  }
  if (!log.expect('config.rootfs.diff_ids.length', String(layers.length), String(diffIds.length))) return;
  layers.forEach((layer, i) => {
    const field = `config.rootfs.diff_ids[${i}]`;
    const found = typeof diffIds[i] === 'string' ? (diffIds[i] as string) : show(diffIds[i]);
    if (i < layers.length - 1) log.expect(field, layer.digest, found);
    else if (bootstrapDiffId !== undefined) log.expect(field, bootstrapDiffId, found);
  });
}

function compareConfigs(source: Json, target: Json, log: DifferenceLog): void {
  for (const key of ['os', 'architecture']) {
    log.expect(`config.${key}`, show(source[key]), show(target[key]));
  }
  const want = withoutIgnored(source.config);
  const got = withoutIgnored(target.config);
  const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])].sort();
  for (const key of keys) log.expect(`config.config.${key}`, show(want[key]), show(got[key]));
  if (keys.length === 0) log.checked += 1;
}

function withoutIgnored(value: unknown): Json {
  if (typeof value !== 'object' || value === null) return {};
  const copy: Json = { ...(value as Json) };
  for (const key of IGNORED_CONFIG_KEYS) delete copy[key];
  return copy;
}

/** show renders a JSON value with sorted keys, so equal objects render equally. */
export function show(value: unknown): string {
  if (value === undefined) return ABSENT;
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Json)[key]);
  return out;
}
