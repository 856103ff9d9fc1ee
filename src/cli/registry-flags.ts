/**
 * The registry connection flags that every command reading or writing images
 * shares, declared once.
 */
import { Option } from 'commander';

/** RegistryFlags are the parsed connection flags. */
export interface RegistryFlags {
  sourceInsecure: boolean;
  targetInsecure: boolean;
  plainHttp: boolean;
}

/** The flag-table entries of RegistryFlags. */
export function registryFlagTable(): { [K in keyof RegistryFlags]: Option } {
  return {
    sourceInsecure: new Option('--source-insecure', 'source registry: skip TLS certificate checks, fall back to http').default(false),
    targetInsecure: new Option('--target-insecure', 'target registry: skip TLS certificate checks, fall back to http').default(false),
    plainHttp: new Option('--plain-http', 'talk plain http to the registries').default(false),
  };
}

/** ImageRegistryFlags are the connection flags of a command that reads one image. */
export interface ImageRegistryFlags {
  insecure: boolean;
  plainHttp: boolean;
}

/** The flag-table entries of ImageRegistryFlags. */
export function imageRegistryFlagTable(): { [K in keyof ImageRegistryFlags]: Option } {
  return {
    insecure: new Option('--insecure', 'registry: skip TLS certificate checks, fall back to http').default(false),
    plainHttp: new Option('--plain-http', 'talk plain http to the registry').default(false),
  };
}
