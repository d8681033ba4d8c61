/**
 * Whether zlib compression pays for one file, decided from samples of it (the sender's choice:
 * the receiver accepts any zlib stream, stored blocks included, so this never changes what a
 * bob receiver must understand). bob itself compresses everything unless told otherwise; on
 * already-compressed data (video, archives, random bytes) level 4 costs ~25 ms of CPU per MiB
 * and saves nothing.
 */

/** Bytes taken from each sampled place of a file (16 KiB). */
export const DEFAULT_PROBE_SAMPLE_BYTES = 16 * 1024;
/** Places sampled: the start, the middle and the end of the file. */
export const PROBE_PLACES = 3;
/**
 * Smallest saving that makes compression worth it (10%): the samples must deflate to at most
 * 90% of their size at bob's level, else the file is sent in stored blocks (level 0).
 */
export const DEFAULT_MIN_COMPRESSION_SAVING = 0.1;

export interface CompressionProbeOptions {
  /** See {@link DEFAULT_PROBE_SAMPLE_BYTES}. */
  readonly sampleBytes?: number;
  /** See {@link DEFAULT_MIN_COMPRESSION_SAVING}. */
  readonly minSaving?: number;
}

/** Offsets and lengths to sample in a file of `size` bytes (at most {@link PROBE_PLACES}). */
export function probeRanges(
  size: number,
  options: CompressionProbeOptions = {},
): { offset: number; length: number }[] {
  const sample = Math.max(1, options.sampleBytes ?? DEFAULT_PROBE_SAMPLE_BYTES);
  if (size <= PROBE_PLACES * sample) return size > 0 ? [{ offset: 0, length: size }] : [];
  const middle = Math.floor(size / 2 - sample / 2);
  return [
    { offset: 0, length: sample },
    { offset: middle, length: sample },
    { offset: size - sample, length: sample },
  ];
}

/**
 * The decision: `raw` sampled bytes deflated to `compressed` bytes. An empty sample says
 * nothing: compress (an empty or tiny object costs nothing either way).
 */
export function compressionPays(
  raw: number,
  compressed: number,
  options: CompressionProbeOptions = {},
): boolean {
  if (raw <= 0) return true;
  const minSaving = options.minSaving ?? DEFAULT_MIN_COMPRESSION_SAVING;
  return compressed <= raw * (1 - minSaving);
}
