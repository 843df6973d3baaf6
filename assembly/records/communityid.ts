// Community ID v1 flow hash (corelight/community-id-spec), allocation-free.
//
//   input  = seed(2) . saddr(4|16) . daddr(4|16) . proto(1) . 0x00 [. sport(2) . dport(2)]
//   result = "1:" . base64(SHA1(input))            all integers big-endian
//
// SHA-1 is implemented here over raw memory because the input is tiny (at most
// 40 bytes, so one padded block) and a library would allocate. Everything runs
// in one static scratch region:
//
//   SCRATCH (512 bytes, from memory.data, zero-filled at start)
//   0                     320             448        488         508
//   ┌─────────────────────┬───────────────┬──────────┬───────────┬───┐
//   │ W[80] u32 schedule  │ TAIL 2 blocks │ MSG 40 B │ DIGEST 20 │   │
//   └─────────────────────┴───────────────┴──────────┴───────────┴───┘
//
// TAIL holds the last partial block plus padding (two blocks when fewer than
// 9 bytes are left free). Not reentrant, which is fine: Wasm is single-threaded.

// @ts-ignore: decorator
@inline const SCRATCH_SIZE: i32 = 512;
const SCRATCH: usize = memory.data(SCRATCH_SIZE, 16);
// @ts-ignore: decorator
@inline const W_OFF: usize = 0;
// @ts-ignore: decorator
@inline const TAIL_OFF: usize = 320;
// @ts-ignore: decorator
@inline const MSG_OFF: usize = 448;
// @ts-ignore: decorator
@inline const DIGEST_OFF: usize = 488;

/** Number of bytes `writeCommunityId` always writes: "1:" plus 28 base64 characters. */
export const COMMUNITY_ID_LEN: i32 = 30; // not @inline: asc 0.28.20 crashes on an exported @inline const

// Standard base64 alphabet; a static UTF-16 literal, read one code unit at a time.
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Running SHA-1 state (globals, so compress() needs no out-parameters).
let h0: u32 = 0;
let h1: u32 = 0;
let h2: u32 = 0;
let h3: u32 = 0;
let h4: u32 = 0;

/** Writes the 20-byte SHA-1 digest of the len bytes at ptr to out (out may not overlap the internal scratch). */
export function sha1(ptr: usize, len: i32, out: usize): void {
  h0 = 0x67452301;
  h1 = 0xEFCDAB89;
  h2 = 0x98BADCFE;
  h3 = 0x10325476;
  h4 = 0xC3D2E1F0;

  let full = <usize>(len & ~63);
  for (let off: usize = 0; off < full; off += 64) compress(ptr + off);

  // Padding: 0x80, zeros, then the message length in bits as a big-endian u64.
  let tail = SCRATCH + TAIL_OFF;
  let rem = <usize>len - full;
  memory.fill(tail, 0, 128);
  memory.copy(tail, ptr + full, rem);
  store<u8>(tail + rem, 0x80);
  let tailLen: usize = rem < 56 ? 64 : 128;
  store<u64>(tail + tailLen - 8, bswap<u64>(<u64>len << 3));
  compress(tail);
  if (tailLen == 128) compress(tail + 64);

  store<u32>(out, bswap<u32>(h0));
  store<u32>(out, bswap<u32>(h1), 4);
  store<u32>(out, bswap<u32>(h2), 8);
  store<u32>(out, bswap<u32>(h3), 12);
  store<u32>(out, bswap<u32>(h4), 16);
}

/** Writes "1:" + base64 Community ID v1 of the flow to dst and returns the byte count (always 30). */
export function writeCommunityId(
  dst: usize, seed: u32, proto: u32, isV6: bool,
  saddr: usize, daddr: usize, sport: u32, dport: u32,
  hasPorts: bool, oneWay: bool
): i32 {
  // IPv4 sits in the last 4 bytes of the 16-byte (::ffff:a.b.c.d) slot.
  let alen: usize = isV6 ? 16 : 4;
  let a = isV6 ? saddr : saddr + 12;
  let b = isV6 ? daddr : daddr + 12;
  let pa = sport & 0xFFFF;
  let pb = dport & 0xFFFF;

  // Smaller (addr, port) first, on packed big-endian bytes. One-way ICMP keeps
  // its direction because (type, code) has no counterpart to match against.
  if (!oneWay) {
    let c = memory.compare(a, b, alen);
    if (c > 0 || (c == 0 && hasPorts && pa > pb)) {
      let t = a; a = b; b = t;
      let u = pa; pa = pb; pb = u;
    }
  }

  let msg = SCRATCH + MSG_OFF;
  store<u16>(msg, bswap<u16>(<u16>seed));
  memory.copy(msg + 2, a, alen);
  memory.copy(msg + 2 + alen, b, alen);
  let p = msg + 2 + (alen << 1);
  store<u8>(p, <u8>proto);
  store<u8>(p, 0, 1);
  p += 2;
  if (hasPorts) {
    store<u16>(p, bswap<u16>(<u16>pa));
    store<u16>(p, bswap<u16>(<u16>pb), 2);
    p += 4;
  }

  let digest = SCRATCH + DIGEST_OFF;
  sha1(msg, <i32>(p - msg), digest);

  store<u8>(dst, 0x31);     // '1'
  store<u8>(dst, 0x3A, 1);  // ':'
  base64Digest(digest, dst + 2);
  return COMMUNITY_ID_LEN;
}

// Encodes the 20-byte digest as 28 base64 characters: six full 3-byte groups,
// then 2 bytes -> 3 characters + one '='.
function base64Digest(src: usize, dst: usize): void {
  for (let i = 0; i < 6; i++) {
    let v = (<u32>load<u8>(src) << 16) | (<u32>load<u8>(src, 1) << 8) | <u32>load<u8>(src, 2);
    store<u8>(dst, b64(v >> 18));
    store<u8>(dst, b64(v >> 12), 1);
    store<u8>(dst, b64(v >> 6), 2);
    store<u8>(dst, b64(v), 3);
    src += 3;
    dst += 4;
  }
  let v = (<u32>load<u8>(src) << 16) | (<u32>load<u8>(src, 1) << 8);
  store<u8>(dst, b64(v >> 18));
  store<u8>(dst, b64(v >> 12), 1);
  store<u8>(dst, b64(v >> 6), 2);
  store<u8>(dst, 0x3D, 3); // '='
}

// The base64 character for the low 6 bits of v.
// @ts-ignore: decorator
@inline function b64(v: u32): u8 {
  return <u8>load<u16>(changetype<usize>(B64) + ((<usize>v & 63) << 1));
}

// One SHA-1 compression round over the 64-byte block at p (FIPS 180-4 §6.1.2).
function compress(p: usize): void {
  let w = SCRATCH + W_OFF;
  for (let t: usize = 0; t < 16; t++) {
    store<u32>(w + (t << 2), bswap<u32>(load<u32>(p + (t << 2))));
  }
  for (let t: usize = 16; t < 80; t++) {
    let x = load<u32>(w + ((t - 3) << 2)) ^ load<u32>(w + ((t - 8) << 2))
          ^ load<u32>(w + ((t - 14) << 2)) ^ load<u32>(w + ((t - 16) << 2));
    store<u32>(w + (t << 2), rotl<u32>(x, 1));
  }

  let a = h0, b = h1, c = h2, d = h3, e = h4;
  for (let t: usize = 0; t < 80; t++) {
    let f: u32, k: u32;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDC;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6;
    }
    let tmp = rotl<u32>(a, 5) + f + e + k + load<u32>(w + (t << 2));
    e = d;
    d = c;
    c = rotl<u32>(b, 30);
    b = a;
    a = tmp;
  }
  h0 += a;
  h1 += b;
  h2 += c;
  h3 += d;
  h4 += e;
}
