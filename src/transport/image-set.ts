/**
 * Sources that hold several images under one reference (an image index), and the
 * choices that go with them: which kind of index entry to prefer, and listing
 * every image instead of picking one.
 *
 * This widens `ImageSource` without changing it: every source `openSource`
 * returns implements `ImageSetSource`, and `asImageSet` adapts any other
 * ImageSource (as a set of the one image it resolves to).
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/types.js';
import type { Prefer } from './select.js';
import type { ImageSource, PlatformChoice, SourceImage } from './types.js';

/** IndexChoice is a PlatformChoice that also says which kind of index entry to prefer. */
export interface IndexChoice extends PlatformChoice {
  /** Default `original`: plain images before Nydus-marked entries (see select.ts). */
  prefer?: Prefer;
}

/** ImageSetSource is an ImageSource that can also list every image of an index. */
export interface ImageSetSource extends ImageSource {
  resolve(choice?: IndexChoice): Promise<SourceImage>;
  /**
   * Resolves every image the reference names: each entry of an index (nested
   * indexes descended by the entry's platform), with `platform` set from the
   * entry; or the one image when the reference names a manifest. Nydus-marked
   * entries and attestations are left out as `imageEntries` says.
   */
  resolveAll(choice?: { prefer?: Prefer }): Promise<SourceImage[]>;
}

/** isImageSetSource tells whether a source implements resolveAll. */
export function isImageSetSource(source: ImageSource): source is ImageSetSource {
  return typeof (source as Partial<ImageSetSource>).resolveAll === 'function';
}

/** asImageSet returns the source itself when it lists images, else a one-image view. */
export function asImageSet(source: ImageSource): ImageSetSource {
  if (isImageSetSource(source)) return source;
  return {
    reference: source.reference,
    resolve: (choice) => source.resolve(choice),
    resolveAll: async () => [await source.resolve()],
    openBlob: (desc: Descriptor): Promise<Readable> => source.openBlob(desc),
    close: () => source.close(),
  };
}

/**
 * preferNydus returns a view of `source` whose `resolve` picks Nydus-marked index
 * entries first, for reading the Nydus half of a merged index (`check --target`).
 */
export function preferNydus(source: ImageSetSource): ImageSetSource {
  return {
    reference: source.reference,
    resolve: (choice = {}) => source.resolve({ ...choice, prefer: 'nydus' }),
    resolveAll: () => source.resolveAll({ prefer: 'nydus' }),
    openBlob: (desc) => source.openBlob(desc),
    close: () => source.close(),
  };
}

/** withPlatform fills in the image's platform from the index entry it came from. */
export function withPlatform(image: SourceImage, entry: Descriptor): SourceImage {
  if (image.platform === undefined && entry.platform !== undefined) image.platform = entry.platform;
  return image;
}
