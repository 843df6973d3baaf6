// Output buffer: the UTF-8 bytes the module hands back to its host after each call.
//
// One growable region from heap.alloc, never collected by the GC. It grows by doubling and is
// reused from offset 0 on every host call, so after warm-up writing a record allocates nothing.
//
//   base                                   base+len            base+cap
//   ├──────────── records written ──────────┼──── free ─────────┤
//
// Records are separated according to `recordMode`: NDJSON (one object per line) for the Node
// host, or a JSON array body (objects separated by commas) for the Fluent Bit envelope.

// @ts-ignore: decorator
@inline export const MODE_NDJSON: i32 = 0;
// @ts-ignore: decorator
@inline export const MODE_ARRAY: i32 = 1;

// @ts-ignore: decorator
@inline const INITIAL_CAP: usize = 1 << 20;

let base: usize = 0;
let cap: usize = 0;
let len: usize = 0;
let recordMode: i32 = MODE_NDJSON;
let recordsInCall: i32 = 0;

/** Records per call whose place is kept (a host that returns them one at a time reads it). */
// @ts-ignore: decorator
@inline export const PLACES_KEPT: i32 = 16;
/** Start and end offset (from base) of each of the call's first PLACES_KEPT records. */
const places: usize = memory.data(PLACES_KEPT << 3);

/** Pointer to the first output byte of the current call. */
export function outPtr(): usize {
  return base;
}

/** Number of output bytes written in the current call. */
export function outLen(): i32 {
  return <i32>len;
}

/** Number of records written in the current call. */
export function outRecords(): i32 {
  return recordsInCall;
}

/** Starts a new host call: drops what the host has already read and sets the record separator. */
export function outReset(mode: i32): void {
  if (base == 0) {
    base = heap.alloc(INITIAL_CAP);
    cap = INITIAL_CAP;
  }
  len = 0;
  recordsInCall = 0;
  recordMode = mode;
}

/** Makes room for n more bytes and returns the write position. */
// @ts-ignore: decorator
@inline export function reserve(n: usize): usize {
  if (len + n > cap) grow(n);
  return base + len;
}

/** The slow path of reserve: first use, or doubling until n more bytes fit. */
function grow(n: usize): void {
  if (base == 0) outReset(recordMode);
  if (len + n <= cap) return;
  let c = cap << 1;
  while (len + n > c) c <<= 1;
  base = heap.realloc(base, c);
  cap = c;
}

/** Marks n bytes at the write position as written. */
// @ts-ignore: decorator
@inline export function commit(n: usize): void {
  len += n;
}

/** Opens a record: writes the separator that the current mode needs before it. */
export function beginRecord(): void {
  if (recordMode == MODE_ARRAY && recordsInCall > 0) putByte(0x2c); // ,
  if (recordsInCall < PLACES_KEPT) store<u32>(places + (<usize>recordsInCall << 3), <u32>len);
}

/** Closes a record. */
export function endRecord(): void {
  if (recordsInCall < PLACES_KEPT) store<u32>(places + (<usize>recordsInCall << 3), <u32>len, 4);
  if (recordMode == MODE_NDJSON) putByte(0x0a);
  recordsInCall++;
}

/** Offset from outPtr() where the call's record i starts (i < PLACES_KEPT), after its separator. */
export function recordStart(i: i32): usize {
  return <usize>load<u32>(places + (<usize>i << 3));
}

/** Offset from outPtr() where the call's record i ends (i < PLACES_KEPT), before any newline. */
export function recordEnd(i: i32): usize {
  return <usize>load<u32>(places + (<usize>i << 3), 4);
}

/** Appends one byte. */
export function putByte(b: u32): void {
  const p = reserve(1);
  store<u8>(p, <u8>b);
  len += 1;
}

/** Appends n raw bytes from linear memory. */
export function putBytes(src: usize, n: usize): void {
  const p = reserve(n);
  memory.copy(p, src, n);
  len += n;
}

/** Appends an ASCII string constant (keys, punctuation); non-ASCII is not expected here. */
export function putAscii(s: string): void {
  const src = changetype<usize>(s);
  const n = <usize>s.length;
  if (src < __heap_base) {
    const copy = literalCopy(src, n);
    if (copy != 0) {
      putBytes(copy, n);
      return;
    }
  }
  narrow(reserve(n), src, n);
  len += n;
}

// @ts-ignore: decorator
@inline const LITERAL_SETS: usize = 512;
// @ts-ignore: decorator
@inline const LITERAL_BYTES: usize = 16384;
/**
 * A literal's address and its UTF-8 copy's, two ways a set, the set picked by a hash of the
 * address: where literals lie depends on the whole module's layout, and a direct-mapped table
 * lost half its gain to collisions when an unrelated buffer changed size.
 *   set: [ key0 u32 | copy0 u32 | key1 u32 | copy1 u32 ]
 */
const LITERAL_KEYS: usize = memory.data(<i32>LITERAL_SETS * 16);
const LITERALS: usize = memory.data(<i32>LITERAL_BYTES);
let literalUsed: usize = 0;

/**
 * The UTF-8 copy of the literal at src (n units), made on its first use; 0 once the copies'
 * room is full. Only literals (in the data segments, below the heap: their bytes never change)
 * may be looked up; a flow record writes about forty of them.
 */
// @ts-ignore: decorator
@inline function literalCopy(src: usize, n: usize): usize {
  const set = LITERAL_KEYS + (<usize>((<u32>(src >> 4) * 0x9e3779b1) >> 23) << 4);
  if (<usize>load<u32>(set) == src) return <usize>load<u32>(set, 4);
  if (<usize>load<u32>(set, 8) == src) return <usize>load<u32>(set, 12);
  if (literalUsed + n > LITERAL_BYTES) return 0;
  const copy = LITERALS + literalUsed;
  narrow(copy, src, n);
  literalUsed += n;
  // the first literal of a set keeps its way; later ones share the second
  const way = load<u32>(set) == 0 ? set : set + 8;
  store<u32>(way, <u32>src);
  store<u32>(way, <u32>copy, 4);
  return copy;
}

/** Narrows n ASCII UTF-16 units at src to n bytes at dst. */
function narrow(dst: usize, src: usize, n: usize): void {
  // Four UTF-16 units per step, narrowed to four bytes (ASCII only, so the high bytes are 0).
  let i: usize = 0;
  for (; i + 4 <= n; i += 4) {
    const x = load<u64>(src + (i << 1));
    store<u32>(dst + i, <u32>(x & 0xff) | (<u32>(x >> 8) & 0xff00) | (<u32>(x >> 16) & 0xff0000) | (<u32>(x >> 24) & 0xff000000));
  }
  for (; i < n; i++) store<u8>(dst + i, <u8>load<u16>(src + (i << 1)));
}

/** Appends an unsigned decimal number. */
export function putU64(v: u64): void {
  const p = reserve(20);
  let digits = 1;
  let t = v;
  while (t >= 10) {
    t /= 10;
    digits++;
  }
  let i = digits;
  do {
    i--;
    store<u8>(p + i, <u8>(0x30 + <u32>(v % 10)));
    v /= 10;
  } while (v != 0);
  len += digits;
}

/** Appends a signed decimal number. */
export function putI64(v: i64): void {
  if (v < 0) {
    putByte(0x2d);
    putU64(<u64>(-v));
  } else {
    putU64(<u64>v);
  }
}

/** Appends `n` as exactly `width` zero-padded decimal digits. */
export function putPadded(v: u32, width: i32): void {
  const p = reserve(<usize>width);
  for (let i = width - 1; i >= 0; i--) {
    store<u8>(p + i, <u8>(0x30 + v % 10));
    v /= 10;
  }
  len += width;
}

/**
 * Appends bytes as the inside of a JSON string: escapes quotes, backslashes and control
 * characters, and replaces invalid UTF-8 with U+FFFD so the output is always valid JSON.
 */
export function putJsonText(src: usize, n: usize): void {
  // Worst case: every byte becomes a 6-byte \u00XX escape (or 3-byte U+FFFD).
  let p = reserve(n * 6);
  let i: usize = 0;
  while (i < n) {
    const c = <u32>load<u8>(src + i);
    if (c >= 0x20 && c < 0x80) {
      if (c == 0x22 || c == 0x5c) {
        store<u8>(p, 0x5c);
        store<u8>(p + 1, <u8>c);
        p += 2;
      } else {
        store<u8>(p, <u8>c);
        p += 1;
      }
      i += 1;
      continue;
    }
    if (c < 0x20) {
      p = putControlEscape(p, c);
      i += 1;
      continue;
    }
    const seq = utf8SequenceLength(src + i, n - i);
    if (seq == 0) {
      // invalid byte: U+FFFD
      store<u8>(p, 0xef);
      store<u8>(p + 1, 0xbf);
      store<u8>(p + 2, 0xbd);
      p += 3;
      i += 1;
    } else {
      memory.copy(p, src + i, seq);
      p += seq;
      i += seq;
    }
  }
  len = p - base;
}

function putControlEscape(p: usize, c: u32): usize {
  store<u8>(p, 0x5c);
  if (c == 0x0a) { store<u8>(p + 1, 0x6e); return p + 2; }
  if (c == 0x0d) { store<u8>(p + 1, 0x72); return p + 2; }
  if (c == 0x09) { store<u8>(p + 1, 0x74); return p + 2; }
  store<u8>(p + 1, 0x75); // u
  store<u8>(p + 2, 0x30);
  store<u8>(p + 3, 0x30);
  store<u8>(p + 4, <u8>(0x30 + (c >> 4)));
  const lo = c & 15;
  store<u8>(p + 5, <u8>(lo < 10 ? 0x30 + lo : 0x57 + lo));
  return p + 6;
}

/** Length of the well-formed UTF-8 sequence at p (2-4), or 0 if it is not well formed. */
function utf8SequenceLength(p: usize, avail: usize): usize {
  const c = <u32>load<u8>(p);
  let need: usize = 0;
  let min: u32 = 0;
  let cp: u32 = 0;
  if (c >= 0xc2 && c <= 0xdf) { need = 2; cp = c & 0x1f; min = 0x80; }
  else if (c >= 0xe0 && c <= 0xef) { need = 3; cp = c & 0x0f; min = 0x800; }
  else if (c >= 0xf0 && c <= 0xf4) { need = 4; cp = c & 0x07; min = 0x10000; }
  else return 0;
  if (need > avail) return 0;
  for (let k: usize = 1; k < need; k++) {
    const b = <u32>load<u8>(p + k);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return need;
}
