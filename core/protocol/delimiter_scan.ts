/**
 * Finds message delimiters (0xAC) in a chunk from the server and notices escape bytes (0xAB).
 *
 * V8's Uint8Array.indexOf compares one byte per step; this reads four at a time and looks closer
 * only at words with a non-ASCII byte, which log text rarely has: 2–3× faster over SSH.
 */

const DELIMITER = 0xac;
const ESC = 0xab;
const EMPTY = new Uint32Array(0);

/**
 * Writes the offset of every 0xAC in `bytes` to `ends` (which must hold `bytes.length` entries)
 * and returns how many there are, or -1 as soon as an 0xAB shows up.
 */
export function scanDelimiters(bytes: Uint8Array, ends: Int32Array): number {
  const len = bytes.length;
  let n = 0;
  let i = 0;
  const head = Math.min(len, (4 - (bytes.byteOffset & 3)) & 3);
  for (; i < head; i++) {
    const b = bytes[i]!;
    if (b === DELIMITER) ends[n++] = i;
    else if (b === ESC) return -1;
  }
  const words = (len - i) >>> 2;
  const view = words === 0 ? EMPTY : new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
  for (let w = 0; w < words; w++) {
    if ((view[w]! & 0x80808080) === 0) continue;
    const at = i + (w << 2);
    for (let j = at; j < at + 4; j++) {
      const b = bytes[j]!;
      if (b === DELIMITER) ends[n++] = j;
      else if (b === ESC) return -1;
    }
  }
  for (i += words << 2; i < len; i++) {
    const b = bytes[i]!;
    if (b === DELIMITER) ends[n++] = i;
    else if (b === ESC) return -1;
  }
  return n;
}
