import { open } from 'node:fs/promises';
import { deflateRawSync } from 'node:zlib';
import {
  type CompressionProbeOptions,
  compressionPays,
  probeRanges,
} from '../compression-decision.js';

/**
 * The zlib level to send one file at: `level` when samples of the file (start, middle, end)
 * deflate well enough at that level, 0 (stored blocks) when they do not. Reads at most three
 * small samples; a level of 0 stays 0.
 */
export async function probeFileLevel(
  path: string,
  size: number,
  level: number,
  options: CompressionProbeOptions = {},
): Promise<number> {
  if (level === 0) return 0;
  const ranges = probeRanges(size, options);
  if (ranges.length === 0) return level;
  const handle = await open(path, 'r');
  try {
    let raw = 0;
    let compressed = 0;
    for (const { offset, length } of ranges) {
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      raw += bytesRead;
      compressed += deflateRawSync(buffer.subarray(0, bytesRead), { level }).length;
    }
    return compressionPays(raw, compressed, options) ? level : 0;
  } finally {
    await handle.close();
  }
}
