// The parser's cursor over one line's bytes and the small scanners every line form uses.
//
// `p` (next byte) and `e` (end of the line) are module globals shared by the files of parse/
// (AssemblyScript lets an importing module assign them: they are Wasm globals), so the hot
// path passes no cursor around and allocates nothing.

export let p: usize = 0;
export let e: usize = 0;

// @ts-ignore: decorator
@inline export function at(k: usize): u32 {
  return <u32>load<u8>(p + k);
}

// @ts-ignore: decorator
@inline export function isDigit(c: u32): bool {
  return c - 0x30 <= 9;
}

/** Consumes a literal ASCII string if it is next; no allocation (reads the UTF-16 constant). */
export function eat(s: string): bool {
  const n = <usize>s.length;
  if (p + n > e) return false;
  const src = changetype<usize>(s);
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(p + i) != <u32>load<u16>(src + (i << 1))) return false;
  }
  p += n;
  return true;
}

/** Consumes 4 bytes if they equal `word` (little-endian): the hot separators " -> ", " PR ". */
// @ts-ignore: decorator
@inline export function eat4(word: u32): bool {
  if (p + 4 <= e && load<u32>(p) == word) {
    p += 4;
    return true;
  }
  return false;
}

// @ts-ignore: decorator
@inline export function eatByte(c: u32): bool {
  if (p < e && <u32>load<u8>(p) == c) {
    p++;
    return true;
  }
  return false;
}

/** End of the token at the cursor (next space or end of line). */
export function tokenEnd(): usize {
  return findByte(p, e, 0x20);
}

/** Position of the first byte c in [q, end), or end; eight bytes at a time (SWAR). */
export function findByte(q: usize, end: usize, c: u32): usize {
  const pattern = <u64>c * 0x0101010101010101;
  while (q + 8 <= end) {
    const x = load<u64>(q) ^ pattern;
    const hit = (x - 0x0101010101010101) & ~x & 0x8080808080808080;
    if (hit != 0) return q + <usize>(ctz(hit) >> 3);
    q += 8;
  }
  while (q < end && <u32>load<u8>(q) != c) q++;
  return q;
}

/** Reads exactly n digits; -1 if they are not all digits. */
export function digits(n: i32): i32 {
  if (p + <usize>n > e) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = <u32>load<u8>(p + i) - 0x30;
    if (d > 9) return -1;
    v = v * 10 + <i32>d;
  }
  p += n;
  return v;
}

/** Reads an unsigned decimal of 1-10 digits; -1 if there is none. */
export function number(): i64 {
  let v: i64 = 0;
  let n = 0;
  while (p < e) {
    const d = <u32>load<u8>(p) - 0x30;
    if (d > 9) break;
    v = v * 10 + <i64>d;
    p++;
    if (++n > 10) return -1;
  }
  return n == 0 ? -1 : v;
}

// @ts-ignore: decorator
@inline export function isHex(c: u32): bool {
  return c - 0x30 <= 9 || c - 0x61 <= 5;
}

/** HH:MM:SS → seconds of day, or -1. Twice per syslog line, so one load and no calls. */
export function clockTime(): i32 {
  if (p + 8 > e) return -1;
  const w = load<u64>(p);
  // bytes 2 and 5 are ':', the other six are digits
  if (<u32>((w >> 16) & 0xff) != 0x3a || <u32>((w >> 40) & 0xff) != 0x3a) return -1;
  const d = w - 0x3030003030003030; // digits become 0-9 (separator lanes wrap, ignored)
  const h1 = <u32>(d & 0xff), h2 = <u32>((d >> 8) & 0xff);
  const m1 = <u32>((d >> 24) & 0xff), m2 = <u32>((d >> 32) & 0xff);
  const s1 = <u32>((d >> 48) & 0xff), s2 = <u32>((d >> 56) & 0xff);
  if (h1 > 9 || h2 > 9 || m1 > 9 || m2 > 9 || s1 > 9 || s2 > 9) return -1;
  const h = h1 * 10 + h2;
  const m = m1 * 10 + m2;
  const s = s1 * 10 + s2;
  if (h > 23 || m > 59 || s > 60) return -1;
  p += 8;
  return <i32>(h * 3600 + m * 60 + (s == 60 ? 59 : s));
}
