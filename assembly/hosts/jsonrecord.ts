// A small reader for the one JSON object Fluent Bit hands the wasm filter per record
// (fluent-bit-wasm.md §1.1, Event_Format json): it walks the top-level members, lets the caller
// match keys, and decodes a string value's escapes into a caller's buffer.
//
// No allocation, no recursion (nesting is skipped with a counter, so a record nested a million
// levels deep costs a loop, not the stack), and every read is bounded by the end it was given,
// so no input can make it trap. It checks only as much syntax as it needs to find values; a
// record cut off or garbled where it looks is reported as an error (-1), never guessed at.
//
// Positions are absolute addresses in linear memory:
//
//   {"log" : "Jul 26 04:04:32 fw ipmon[1]: ..." , ...}
//     ├───┤   ├──────────────────────────────────┤
//     key      value (for a string: valueStart is the opening quote, valueEnd is one past the
//              closing one; the text in between is [valueStart + 1, valueEnd - 1))

/** valueType of a string. */
// @ts-ignore: decorator
@inline export const J_STRING: i32 = 1;
/** valueType of a number. */
// @ts-ignore: decorator
@inline export const J_NUMBER: i32 = 2;
/** valueType of an object. */
// @ts-ignore: decorator
@inline export const J_OBJECT: i32 = 3;
/** valueType of an array. */
// @ts-ignore: decorator
@inline export const J_ARRAY: i32 = 4;
/** valueType of true, false or null. */
// @ts-ignore: decorator
@inline export const J_LITERAL: i32 = 5;

// @ts-ignore: decorator
@inline const QUOTE: u32 = 0x22;
// @ts-ignore: decorator
@inline const BACKSLASH: u32 = 0x5c;
// @ts-ignore: decorator
@inline const ONES: u64 = 0x0101010101010101;
// @ts-ignore: decorator
@inline const HIGHS: u64 = 0x8080808080808080;

/** Longest key that keyIs() compares after unescaping (keys we look for are short). */
// @ts-ignore: decorator
@inline const KEY_SCRATCH: usize = 128;
const keyScratch: usize = memory.data(<i32>KEY_SCRATCH);

let cur: usize = 0;
let end: usize = 0;
let firstMember = true;

/** Start of the current member's key text (after the opening quote). */
export let keyStart: usize = 0;
/** End of the current member's key text (the closing quote). */
export let keyEnd: usize = 0;
/** True if the current key contains a backslash escape. */
export let keyEscaped = false;
/** Type of the current member's value (J_*). */
export let valueType: i32 = 0;
/** First byte of the current member's value. */
export let valueStart: usize = 0;
/** One past the last byte of the current member's value. */
export let valueEnd: usize = 0;
/** True if the current value is a string that contains a backslash escape. */
export let valueEscaped = false;

/** Starts reading the object in [p, p + n); false if the bytes do not open with '{'. */
export function beginObject(p: usize, n: usize): bool {
  cur = p;
  end = p + n;
  firstMember = true;
  skipWs();
  if (cur >= end || <u32>load<u8>(cur) != 0x7b) return false;
  cur++;
  return true;
}

/** Reads the next member: 1 if one was read, 0 at the closing brace, -1 on a syntax error. */
export function nextMember(): i32 {
  skipWs();
  if (cur >= end) return -1;
  let c = <u32>load<u8>(cur);
  if (c == 0x7d) {
    cur++;
    return 0;
  }
  if (firstMember) {
    firstMember = false;
  } else {
    if (c != 0x2c) return -1;
    cur++;
    skipWs();
    if (cur >= end) return -1;
    c = <u32>load<u8>(cur);
  }
  if (c != QUOTE) return -1;
  const kEnd = stringEnd(cur + 1);
  if (kEnd == 0) return -1;
  keyStart = cur + 1;
  keyEnd = kEnd;
  keyEscaped = lastEscaped;
  cur = kEnd + 1;
  skipWs();
  if (cur >= end || <u32>load<u8>(cur) != 0x3a) return -1;
  cur++;
  skipWs();
  if (cur >= end) return -1;
  const vEnd = valueEndAt(cur);
  if (vEnd == 0) return -1;
  valueStart = cur;
  valueEnd = vEnd;
  cur = vEnd;
  return 1;
}

/** True if the current key, unescaped, is the ASCII string `name` (no allocation). */
export function keyIs(name: string): bool {
  const n = <usize>name.length;
  if (!unescapedKey() || keyLen != n) return false;
  const src = changetype<usize>(name);
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(keyPtr + i) != <u32>load<u16>(src + (i << 1))) return false;
  }
  return true;
}

/** True if the current key, unescaped, equals the n bytes at s. */
export function keyIsBytes(s: usize, n: usize): bool {
  return unescapedKey() && keyLen == n && memory.compare(keyPtr, s, n) == 0;
}

// The current key's bytes without escapes: the source itself, or a decoded copy.
let keyPtr: usize = 0;
let keyLen: usize = 0;
function unescapedKey(): bool {
  keyPtr = keyStart;
  keyLen = keyEnd - keyStart;
  if (!keyEscaped) return true;
  const m = decodeString(keyStart, keyEnd, keyScratch, KEY_SCRATCH);
  if (m < 0) return false;
  keyPtr = keyScratch;
  keyLen = <usize>m;
  return true;
}

/** True if the current value is the string `text` exactly, written without escapes. */
export function valueIs(text: string): bool {
  if (valueType != J_STRING || valueEscaped) return false;
  const n = <usize>text.length;
  if (valueEnd - valueStart - 2 != n) return false;
  const src = changetype<usize>(text);
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(valueStart + 1 + i) != <u32>load<u16>(src + (i << 1))) return false;
  }
  return true;
}

/**
 * Decodes the JSON string text [start, stop) (without its quotes) into dst as UTF-8. Handles
 * \" \\ \/ \b \f \n \r \t and \uXXXX, pairing surrogates; a lone surrogate becomes U+FFFD.
 * Returns the bytes written, or -1 for a malformed escape or if cap is too small.
 */
export function decodeString(start: usize, stop: usize, dst: usize, cap: usize): isize {
  let p = start;
  let o: usize = 0;
  while (p < stop) {
    const c = <u32>load<u8>(p);
    if (c != BACKSLASH) {
      if (o >= cap) return -1;
      store<u8>(dst + o, <u8>c);
      o++;
      p++;
      continue;
    }
    if (p + 1 >= stop) return -1;
    const e = <u32>load<u8>(p + 1);
    p += 2;
    let b: u32 = 0;
    switch (e) {
      case 0x22: b = 0x22; break;
      case 0x5c: b = 0x5c; break;
      case 0x2f: b = 0x2f; break;
      case 0x62: b = 0x08; break;
      case 0x66: b = 0x0c; break;
      case 0x6e: b = 0x0a; break;
      case 0x72: b = 0x0d; break;
      case 0x74: b = 0x09; break;
      case 0x75: {
        let cp = hex4(p, stop);
        if (cp < 0) return -1;
        p += 4;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          // a high surrogate is only a character with the low one right after it
          const lo = p + 6 <= stop && <u32>load<u8>(p) == BACKSLASH && <u32>load<u8>(p + 1) == 0x75 ? hex4(p + 2, stop) : -1;
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            p += 6;
          } else {
            cp = 0xfffd;
          }
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          cp = 0xfffd;
        }
        if (o + 4 > cap) return -1;
        o += putUtf8(dst + o, <u32>cp);
        continue;
      }
      default:
        return -1;
    }
    if (o >= cap) return -1;
    store<u8>(dst + o, <u8>b);
    o++;
  }
  return <isize>o;
}

// ── scanning ─────────────────────────────────────────────────────────────────────────────────

let lastEscaped = false;

function skipWs(): void {
  while (cur < end) {
    const c = <u32>load<u8>(cur);
    if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
    cur++;
  }
}

/**
 * The closing quote of the string whose text starts at p, or 0 if the input ends first. Sets
 * lastEscaped. Eight bytes at a time while there is neither a quote nor a backslash, because
 * the ipmon line is most of every record (the interpreter pays per loop turn, §4).
 */
function stringEnd(p: usize): usize {
  lastEscaped = false;
  const e = end;
  while (true) {
    p = plainStringEnd(p, e);
    if (p >= e) return 0;
    if (<u32>load<u8>(p) == QUOTE) return p;
    // backslash: the next byte is escaped, whatever it is
    lastEscaped = true;
    p += 2;
    if (p > e) return 0;
  }
  return 0; // not reached
}

/** First `"` or backslash in [p, e), or e: the end of a string with no escapes, 8 bytes a step. */
export function plainStringEnd(p: usize, e: usize): usize {
  while (p + 8 <= e) {
    const w = load<u64>(p);
    const q = w ^ (ONES * QUOTE);
    const s = w ^ (ONES * BACKSLASH);
    if ((((q - ONES) & ~q) | ((s - ONES) & ~s)) & HIGHS) break;
    p += 8;
  }
  while (p < e) {
    const c = <u32>load<u8>(p);
    if (c == QUOTE || c == BACKSLASH) return p;
    p++;
  }
  return e;
}

/** One past the end of the value starting at p (sets valueType, valueEscaped); 0 on error. */
function valueEndAt(p: usize): usize {
  const e = end;
  const c = <u32>load<u8>(p);
  valueEscaped = false;
  if (c == QUOTE) {
    const q = stringEnd(p + 1);
    if (q == 0) return 0;
    valueType = J_STRING;
    valueEscaped = lastEscaped;
    return q + 1;
  }
  if (c == 0x7b || c == 0x5b) {
    valueType = c == 0x7b ? J_OBJECT : J_ARRAY;
    // Brackets are only counted, not matched by kind: finding where the value ends is all the
    // caller needs, and a mismatch elsewhere in the record is not this filter's business.
    let depth: usize = 1;
    let q = p + 1;
    while (q < e) {
      const d = <u32>load<u8>(q);
      if (d == QUOTE) {
        q = stringEnd(q + 1);
        if (q == 0) return 0;
      } else if (d == 0x7b || d == 0x5b) {
        depth++;
      } else if (d == 0x7d || d == 0x5d) {
        if (--depth == 0) return q + 1;
      }
      q++;
    }
    return 0;
  }
  if (c == 0x74) return literal(p, "true");
  if (c == 0x66) return literal(p, "false");
  if (c == 0x6e) return literal(p, "null");
  if (c == 0x2d || (c >= 0x30 && c <= 0x39)) {
    valueType = J_NUMBER;
    let q = p + 1;
    while (q < e) {
      const d = <u32>load<u8>(q);
      if (!((d >= 0x30 && d <= 0x39) || d == 0x2e || d == 0x65 || d == 0x45 || d == 0x2b || d == 0x2d)) break;
      q++;
    }
    return q;
  }
  return 0;
}

function literal(p: usize, word: string): usize {
  const n = <usize>word.length;
  if (p + n > end) return 0;
  const src = changetype<usize>(word);
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(p + i) != <u32>load<u16>(src + (i << 1))) return 0;
  }
  valueType = J_LITERAL;
  return p + n;
}

/** Four hex digits at p as a number, or -1. */
function hex4(p: usize, stop: usize): i32 {
  if (p + 4 > stop) return -1;
  let v = 0;
  for (let i: usize = 0; i < 4; i++) {
    const c = <i32>load<u8>(p + i);
    let d: i32;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else return -1;
    v = (v << 4) | d;
  }
  return v;
}

/** Writes code point cp as UTF-8 at p; returns the byte count (1-4). */
function putUtf8(p: usize, cp: u32): usize {
  if (cp < 0x80) {
    store<u8>(p, <u8>cp);
    return 1;
  }
  if (cp < 0x800) {
    store<u8>(p, <u8>(0xc0 | (cp >> 6)));
    store<u8>(p + 1, <u8>(0x80 | (cp & 0x3f)));
    return 2;
  }
  if (cp < 0x10000) {
    store<u8>(p, <u8>(0xe0 | (cp >> 12)));
    store<u8>(p + 1, <u8>(0x80 | ((cp >> 6) & 0x3f)));
    store<u8>(p + 2, <u8>(0x80 | (cp & 0x3f)));
    return 3;
  }
  store<u8>(p, <u8>(0xf0 | (cp >> 18)));
  store<u8>(p + 1, <u8>(0x80 | ((cp >> 12) & 0x3f)));
  store<u8>(p + 2, <u8>(0x80 | ((cp >> 6) & 0x3f)));
  store<u8>(p + 3, <u8>(0x80 | (cp & 0x3f)));
  return 4;
}
