// IP addresses as 16 bytes in network order. IPv4 is kept in the IPv4-mapped form
// (::ffff:a.b.c.d, bytes 10-11 = 0xff, 12-15 = the address) so one slot layout serves both
// families; a separate family flag keeps ::ffff:a.b.c.d written by ipmon as IPv6 distinct.
//
//   byte  0                           10    12            16
//         ├──────── zero (IPv4) ───────┼ffff─┼─ a.b.c.d ───┤

import { putByte, reserve, commit } from "../records/output";

/** Parses dotted-quad IPv4 text into the mapped 16-byte form at dst; false if it is not one. */
export function parseIPv4(src: usize, n: i32, dst: usize): bool {
  if (n < 7 || n > 15) return false;
  let part: u32 = 0;
  let digits = 0;
  let dots = 0;
  let word: u32 = 0;
  for (let i = 0; i < n; i++) {
    const c = <u32>load<u8>(src + i) - 0x30;
    if (c <= 9) {
      // a leading zero followed by more digits is not how inet_ntoa prints, but accept it
      part = part * 10 + c;
      if (++digits > 3 || part > 255) return false;
    } else if (c == <u32>(0x2e - 0x30)) {
      if (digits == 0 || dots == 3) return false;
      word = (word << 8) | part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return false;
    }
  }
  if (dots != 3 || digits == 0) return false;
  word = (word << 8) | part;
  store<u64>(dst, 0);
  store<u32>(dst + 8, 0xffff0000); // bytes 8..11 = 00 00 ff ff
  store<u32>(dst + 12, bswap<u32>(word));
  return true;
}

/** Parses IPv6 text (RFC 4291 forms, incl. `::` and a trailing dotted quad) into 16 bytes at dst. */
export function parseIPv6(src: usize, n: i32, dst: usize): bool {
  if (n < 2 || n > 45) return false;
  // 8 groups written into a scratch area, `gap` remembers where `::` was.
  let groups = 0;
  let gap = -1;
  let i = 0;
  const tmp = scratch6;
  if (load<u8>(src) == 0x3a) {
    if (load<u8>(src + 1) != 0x3a) return false;
    gap = 0;
    i = 2;
    if (i == n) {
      memory.fill(dst, 0, 16);
      return true;
    }
  }
  while (i < n) {
    if (groups == 8) return false;
    // dotted quad tail
    let j = i;
    let isQuad = false;
    while (j < n) {
      const c = load<u8>(src + j);
      if (c == 0x2e) { isQuad = true; break; }
      if (c == 0x3a) break;
      j++;
    }
    if (isQuad) {
      if (groups > 6) return false;
      if (!parseIPv4(src + i, n - i, scratch4)) return false;
      store<u16>(tmp + (groups << 1), load<u16>(scratch4 + 12));
      store<u16>(tmp + ((groups + 1) << 1), load<u16>(scratch4 + 14));
      groups += 2;
      i = n;
      break;
    }
    let v: u32 = 0;
    let digits = 0;
    while (i < n) {
      const c = <u32>load<u8>(src + i);
      let d: u32 = 0;
      if (c - 0x30 <= 9) d = c - 0x30;
      else if ((c | 0x20) - 0x61 <= 5) d = (c | 0x20) - 0x61 + 10;
      else break;
      v = (v << 4) | d;
      if (++digits > 4) return false;
      i++;
    }
    if (digits == 0) return false;
    store<u16>(tmp + (groups << 1), bswap<u16>(<u16>v));
    groups++;
    if (i == n) break;
    if (load<u8>(src + i) != 0x3a) return false;
    i++;
    if (i < n && load<u8>(src + i) == 0x3a) {
      if (gap >= 0) return false;
      gap = groups;
      i++;
      if (i == n) break;
    } else if (i == n) {
      return false; // trailing single colon
    }
  }
  if (gap < 0) {
    if (groups != 8) return false;
    memory.copy(dst, tmp, 16);
    return true;
  }
  if (groups > 7) return false;
  const head = gap << 1;
  const tail = (groups - gap) << 1;
  memory.copy(dst, tmp, head);
  memory.fill(dst + head, 0, 16 - head - tail);
  memory.copy(dst + 16 - tail, tmp + head, tail);
  return true;
}

const scratch6: usize = memory.data(16);
const scratch4: usize = memory.data(16);

/** Writes the address at src as text: dotted quad for IPv4, RFC 5952 compressed form for IPv6. */
export function putIp(src: usize, isV6: bool): void {
  if (!isV6) {
    for (let k = 12; k < 16; k++) {
      if (k > 12) putByte(0x2e);
      putSmallDecimal(<u32>load<u8>(src + k));
    }
    return;
  }
  // RFC 5952: the longest run (>= 2) of zero groups becomes `::`, first one on ties.
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let g = 0; g <= 8; g++) {
    const zero = g < 8 && load<u16>(src + (g << 1)) == 0;
    if (zero) {
      if (runStart < 0) runStart = g;
    } else if (runStart >= 0) {
      const l = g - runStart;
      if (l > bestLen) { bestLen = l; bestStart = runStart; }
      runStart = -1;
    }
  }
  if (bestLen < 2) bestStart = -1;
  // IPv4-mapped and IPv4-compatible forms as inet_ntop prints them
  if (bestStart == 0 && bestLen == 5 && load<u16>(src + 10) == 0xffff) {
    putAscii6("::ffff:");
    for (let k = 12; k < 16; k++) {
      if (k > 12) putByte(0x2e);
      putSmallDecimal(<u32>load<u8>(src + k));
    }
    return;
  }
  let g = 0;
  while (g < 8) {
    if (g == bestStart) {
      putByte(0x3a);
      if (g == 0) putByte(0x3a);
      g += bestLen;
      continue;
    }
    putHex16(bswap<u16>(load<u16>(src + (g << 1))));
    g++;
    if (g < 8) putByte(0x3a);
  }
}

function putAscii6(s: string): void {
  for (let i = 0; i < s.length; i++) putByte(<u32>s.charCodeAt(i));
}

function putSmallDecimal(v: u32): void {
  if (v >= 100) putByte(0x30 + v / 100);
  if (v >= 10) putByte(0x30 + (v / 10) % 10);
  putByte(0x30 + v % 10);
}

function putHex16(v: u16): void {
  const p = reserve(4);
  let n = 0;
  let started = false;
  for (let shift = 12; shift >= 0; shift -= 4) {
    const d = (<u32>v >> shift) & 15;
    if (d == 0 && !started && shift > 0) continue;
    started = true;
    store<u8>(p + n, <u8>(d < 10 ? 0x30 + d : 0x57 + d));
    n++;
  }
  commit(n);
}
