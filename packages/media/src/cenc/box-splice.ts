// Inserts and removes bytes inside nested boxes and fixes the size of every enclosing box
// (ISO/IEC 14496-12 §4.2: size counts the whole box, header included; a largesize of 1 means a
// 64-bit size follows the type; 0, "to the end of the file", needs no fixing).
export interface BoxEdit {
  /** Offset in the source where bytes are removed and/or inserted. */
  at: number;
  /** Bytes removed from `at` (0 for a pure insertion). */
  remove: number;
  insert: Uint8Array;
  /** Source offsets of the boxes this edit lies inside, outermost first. */
  enclosing: number[];
}

/** Where a source offset lands in the output: every edit wholly before it shifts it. */
export function shiftedOffset(edits: readonly BoxEdit[], offset: number): number {
  let shift = 0;
  for (const e of edits) if (e.at + e.remove <= offset) shift += e.insert.length - e.remove;
  return offset + shift;
}

function addToSize(out: Uint8Array, boxStart: number, delta: number): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const size = view.getUint32(boxStart);
  if (size === 1) view.setBigUint64(boxStart + 8, view.getBigUint64(boxStart + 8) + BigInt(delta));
  else if (size !== 0) view.setUint32(boxStart, size + delta);
}

/** Applies non-overlapping edits and fixes the enclosing boxes' sizes. */
export function spliceBoxes(src: Uint8Array, edits: readonly BoxEdit[]): Uint8Array {
  const sorted = [...edits].sort((a, b) => a.at - b.at);
  const total = src.length + sorted.reduce((n, e) => n + e.insert.length - e.remove, 0);
  const out = new Uint8Array(total);
  let from = 0;
  let to = 0;
  for (const e of sorted) {
    if (e.at < from) throw new Error('overlapping box edits');
    out.set(src.subarray(from, e.at), to);
    to += e.at - from;
    out.set(e.insert, to);
    to += e.insert.length;
    from = e.at + e.remove;
  }
  out.set(src.subarray(from), to);
  for (const e of sorted) {
    const delta = e.insert.length - e.remove;
    for (const start of e.enclosing) addToSize(out, shiftedOffset(sorted, start), delta);
  }
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
