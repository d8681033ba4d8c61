import { concatBytes } from '@peerwire/wire';
import { applyDelta } from './delta.js';
import { BobError } from './errors.js';
import {
  type FolderPlan,
  type FolderPlanLimits,
  planFolder,
  type ReceivedObject,
} from './folder-plan.js';
import { type BaseType, idHex, ObjectType, objectId } from './git-object.js';
import { PayloadReader, type PayloadReaderOptions } from './payload-reader.js';
import { nobleSha1 } from './primitives.js';

/** A received payload, fully in memory. */
export type Payload =
  | {
      readonly kind: 'file';
      readonly name: string;
      readonly rawName: string;
      readonly content: Uint8Array;
    }
  | {
      readonly kind: 'folder';
      readonly plan: FolderPlan;
      /** Blob contents by hex id. */
      readonly blobs: ReadonlyMap<string, Uint8Array>;
    };

/**
 * Reads a whole PACK payload held in memory (small transfers, tests, browsers): checks the
 * trailer, resolves OFS deltas, verifies ids through the tree walk and plans the folder. Large
 * transfers should stream with `PayloadReader` instead (the Node glue does, on disk).
 */
export function readPayload(
  pack: Uint8Array,
  options: PayloadReaderOptions & FolderPlanLimits = {},
): Payload {
  const sha1 = options.sha1 ?? nobleSha1;
  const reader = new PayloadReader({ ...options, computeIds: false });
  let file: { name: string; rawName: string } | undefined;
  const content: Uint8Array[] = [];
  const entries = new Map<
    number,
    { type: BaseType | 'delta'; baseOffset?: number; parts: Uint8Array[] }
  >();
  const order: number[] = [];
  let current: { parts: Uint8Array[] } | undefined;
  for (const e of reader.push(pack)) {
    switch (e.type) {
      case 'file':
        file = { name: e.name, rawName: e.rawName };
        break;
      case 'file-data':
        content.push(e.bytes);
        break;
      case 'object':
        current = { parts: [] };
        entries.set(e.offset, { type: e.objectType, parts: current.parts });
        order.push(e.offset);
        break;
      case 'delta':
        current = { parts: [] };
        entries.set(e.offset, { type: 'delta', baseOffset: e.baseOffset, parts: current.parts });
        order.push(e.offset);
        break;
      case 'data':
        current?.parts.push(e.bytes);
        break;
    }
  }
  reader.end();
  if (file)
    return {
      kind: 'file',
      name: file.name,
      rawName: file.rawName,
      content: concatBytes(...content),
    };

  const resolved = new Map<number, { type: BaseType; content: Uint8Array }>();
  for (const offset of order) {
    const entry = entries.get(offset)!;
    const data = concatBytes(...entry.parts);
    if (entry.type === 'delta') {
      const base = resolved.get(entry.baseOffset!);
      if (!base) throw new BobError('BAD_DELTA', `delta at ${offset} has no resolved base`);
      resolved.set(offset, { type: base.type, content: applyDelta(base.content, data) });
    } else {
      resolved.set(offset, { type: entry.type, content: data });
    }
  }
  const objects = new Map<string, ReceivedObject>();
  const blobs = new Map<string, Uint8Array>();
  for (const { type, content: bytes } of resolved.values()) {
    const id = idHex(objectId(type, bytes, sha1));
    objects.set(id, type === ObjectType.Blob ? { type } : { type, content: bytes });
    if (type === ObjectType.Blob) blobs.set(id, bytes);
  }
  return { kind: 'folder', plan: planFolder(objects, options), blobs };
}
