// The correlator floor (issue 8): the least work any tool of this kind does per ipmon line,
// written as tightly as this repository knows how, so `npm run bench` can print the rate the
// real module is measured against. Not a product: it exists to show where the throughput
// targets sit beside what one core can do at all.
//
// Per line it does only what every correlator must:
//   - find the line (`floorLines`, CLI-shaped) or the `log` string of a Fluent Bit JSON record
//     (`filter_floor`, the filter ABI of fluent-bit-wasm.md §1);
//   - step over the BSD syslog header (ipmon-format.md §2.2) and any `[…]` tags after it
//     (§2.3), or the bare date, and parse ipmon's time of day to microseconds of the day;
//   - an optional `Nx` repeat, the interface, rule and action tokens;
//   - both endpoints: a dotted quad parsed to 32 bits; any other address (IPv6, a name) as its
//     first 8 bytes and a keyed hash of all of its text (cheaper than parsing it); the port;
//   - the IP length, and the flags token kept as its first 8 bytes;
//   - a key that both directions share (the two endpoints in a fixed order, as flow-semantics.md
//     §2.1 asks, though not its order), the module's own keyed hash of it
//     (assembly/flows/hash.ts, SipHash-1-3), a linear probe of an open-addressing table that
//     holds the whole key, and the slot's packet, byte and last-seen counters. With no timeouts
//     the table only fills; a probe longer than MAX_PROBE takes over the key's home slot (an
//     eviction, as the module's table evicts when full), so the cost per line stays bounded.
// It does none of the rest: no calendar or year, no direction or router pairing, no TCP state,
// history or conn_state, no timeouts, no records out, no Community ID, no stats. Lines of other
// forms (RFC 5424, names, ICMP details) are still found and cut into tokens; their endpoints are
// hashed as text. Whatever the module adds on top of this is the price of its features.
//
// Its cursor lives in locals, passed along and returned: stepping with the module's cursor
// functions instead (assembly/parse/cursor.ts: two globals, an i64 number()) took 18% longer
// in WAMR's fast interpreter (0.77–0.79 s against 0.63–0.65 s on 200k records), the same in V8.
//
//   SLOT (64 bytes)
//   ┌──────────┬──────────┬──────────┬──────────┬──────────────── key (40) ─────────────────┐
//   │ hash u32 │ pkts u32 │ bytes u64│ last u64 │ endpoint (16) │ endpoint (16) │ proto (8)     │
//   └──────────┴──────────┴──────────┴──────────┴──────────────────────────────────────────┘
//
//   ENDPOINT (16 bytes): IPv4 │ addr u32 │ port u32 │ 0 (8)           │
//                        other│ first 8 bytes of text │ hashName u32 │ port u32 │

import { hashKey, hashName } from '../../assembly/flows/hash';
import { findByte } from '../../assembly/parse/cursor';

// @ts-ignore: decorator
@inline const TABLE_BITS: u32 = 17;
// @ts-ignore: decorator
@inline const MAX_PROBE: u32 = 64;
// The shortest line worth reading: the fixed-width skips below (a bare date, a BSD header)
// and the tokens after them then stay inside the line.
// @ts-ignore: decorator
@inline const MIN_LINE: usize = 64;
// @ts-ignore: decorator
@inline const ARROW: u32 = 0x203e2d20; // " -> "
// @ts-ignore: decorator
@inline const PR: u32 = 0x20525020; // " PR "
// @ts-ignore: decorator
@inline const LEN: u32 = 0x206e656c; // "len "

const TABLE: usize = memory.data(<i32>(64 << TABLE_BITS));
const KEY: usize = memory.data(40);

/** Bytes at INPUT. */
export const INPUT_BYTES: i32 = 2 << 20;

/** Where the host writes the lines `floorLines` reads. */
export const INPUT: usize = memory.data(INPUT_BYTES);

// what was counted, read by the host as exported globals
/** Lines parsed into a tuple so far. */
export let parsed: u32 = 0;
/** Distinct tuples in the table. */
export let tuples: u32 = 0;
/** Packets counted (repeats included). */
export let packets: u64 = 0;
/** IP bytes counted (repeats included). */
export let bytes: u64 = 0;
/** Tuples that took over a slot after a probe of MAX_PROBE. */
export let evictions: u32 = 0;

/** Past the token at p and the spaces after it. */
// @ts-ignore: decorator
@inline function skip(p: usize, e: usize): usize {
  p = findByte(p, e, 0x20);
  while (p < e && load<u8>(p) == 0x20) p++;
  return p;
}

/** The decimal at p: its value in the low 32 bits, the position after it in the high 32. */
// @ts-ignore: decorator
@inline function num(p: usize, e: usize): u64 {
  let v: u32 = 0;
  while (p < e) { const d = <u32>load<u8>(p) - 0x30; if (d > 9) break; v = v * 10 + d; p++; }
  return (<u64>p << 32) | v;
}

/** The endpoint at p into 16 bytes at `dst`; the position after it (on its space). */
function endpoint(p: usize, e: usize, dst: usize): usize {
  store<u64>(dst, 0);
  store<u64>(dst, 0, 8);
  // the common case in one forward pass: a dotted quad, `,` and the port
  const start = p;
  let addr: u32 = 0; let i = 0;
  for (; i < 4; i++) {
    const r = num(p, e); const q = <usize>(r >> 32);
    if (q == p || q >= e || load<u8>(q) != (i < 3 ? 0x2e : 0x2c)) break;
    addr = (addr << 8) | <u32>r; p = q + 1;
  }
  if (i == 4) { const r = num(p, e); store<u32>(dst, addr); store<u32>(dst, <u32>r, 4); return <usize>(r >> 32); }
  // anything else (IPv6, names): the text's first 8 bytes, a hash of all of it, the port
  p = start;
  const end = findByte(p, e, 0x20);
  let comma = end;
  while (comma > p && load<u8>(comma - 1) != 0x2c) comma--;
  const hostEnd = comma > p ? comma - 1 : end;
  const n = hostEnd - p;
  memory.copy(dst, p, n < 8 ? n : 8);
  store<u32>(dst, hashName(p, <i32>n), 8);
  store<u32>(dst, comma > p ? <u32>num(comma, e) : 0, 12);
  return end;
}

/** The slot of the key at KEY: found, claimed if free, or taken over after MAX_PROBE probes. */
function slotOf(): usize {
  const h = hashKey(KEY) | 1; // 0 marks a free slot
  const mask: u32 = (1 << TABLE_BITS) - 1;
  let i = h & mask;
  for (let probes: u32 = 0; probes < MAX_PROBE; probes++) {
    const slot = TABLE + (<usize>i << 6);
    const k = load<u32>(slot);
    if (k == 0) return claim(slot, h);
    if (k == h && load<u64>(slot, 24) == load<u64>(KEY) && load<u64>(slot, 32) == load<u64>(KEY, 8) &&
        load<u64>(slot, 40) == load<u64>(KEY, 16) && load<u64>(slot, 48) == load<u64>(KEY, 24) &&
        load<u64>(slot, 56) == load<u64>(KEY, 32)) return slot;
    i = (i + 1) & mask;
  }
  evictions++;
  tuples--;
  return claim(TABLE + (<usize>(h & mask) << 6), h);
}

/** Gives the slot to the key at KEY, counters zeroed. */
function claim(slot: usize, h: u32): usize {
  store<u32>(slot, h);
  store<u32>(slot, 0, 4);
  store<u64>(slot, 0, 8);
  memory.copy(slot + 24, KEY, 40);
  tuples++;
  return slot;
}

/** The line in [p, e): parsed and counted, or skipped when it is not a packet line. */
function floorLine(p: usize, e: usize): void {
  if (e - p < MIN_LINE) return;
  if (<u32>load<u8>(p) - 0x30 <= 9) {
    p += 11; // bare ipmon: `03/03/2024 `
  } else {
    p += 16; // BSD syslog: `Mar  3 08:00:00 `, then the host and the tag
    p = skip(p, e);
    p = skip(p, e);
    while (p < e && load<u8>(p) == 0x5b) { // `[ID 702911 local0.notice] `
      const close = findByte(p, e, 0x5d);
      p = skip(close, e);
    }
  }
  // ipmon's time of day, HH:MM:SS.ffffff
  let r = num(p, e); const h = <u32>r; p = <usize>(r >> 32) + 1;
  r = num(p, e); const m = <u32>r; p = <usize>(r >> 32) + 1;
  r = num(p, e); const s = <u32>r; p = <usize>(r >> 32);
  let us: u32 = 0;
  if (p < e && load<u8>(p) == 0x2e) { r = num(p + 1, e); us = <u32>r; p = <usize>(r >> 32); }
  p = skip(p, e);
  const t = ((<u64>h * 60 + m) * 60 + s) * 1_000_000 + us;
  let repeat: u32 = 1;
  if (p < e && <u32>load<u8>(p) - 0x30 <= 9) { // `Nx`
    r = num(p, e);
    repeat = <u32>r;
    p = skip(<usize>(r >> 32), e);
  }
  p = skip(p, e); // interface
  p = skip(p, e); // @group:rule
  p += 2; // action letter
  const a = KEY; // the two endpoints, written in place, then put in canonical order
  p = endpoint(p, e, a);
  if (p + 4 > e || load<u32>(p) != ARROW) return;
  p = endpoint(p + 4, e, a + 16);
  if (p + 4 > e || load<u32>(p) != PR) return;
  p += 4;
  const proto = p + 4 <= e ? load<u32>(p) : 0;
  p = skip(p, e);
  if (p + 4 > e || load<u32>(p) != LEN) return;
  r = num(p + 4, e); // IP header length
  r = num(<usize>(r >> 32) + 1, e);
  const len = <u32>r;
  p = <usize>(r >> 32) + 1;
  if (p >= e) return;
  const flags = e - p >= 8 ? load<u64>(p) : 0;
  // one order for both directions (any fixed order will do: the little-endian words compared)
  const lo0 = bswap(load<u64>(a)), hi0 = bswap(load<u64>(a, 16));
  if (lo0 > hi0 || (lo0 == hi0 && load<u64>(a, 8) > load<u64>(a, 24))) {
    const t0 = load<u64>(a), t1 = load<u64>(a, 8);
    store<u64>(a, load<u64>(a, 16)); store<u64>(a, load<u64>(a, 24), 8);
    store<u64>(a, t0, 16); store<u64>(a, t1, 24);
  }
  store<u64>(KEY, <u64>proto, 32);
  const slot = slotOf();
  if (slot == 0) return;
  store<u32>(slot, load<u32>(slot, 4) + repeat, 4);
  store<u64>(slot, load<u64>(slot, 8) + <u64>len * repeat, 8);
  store<u64>(slot, t ^ flags, 16);
  packets += repeat;
  bytes += <u64>len * repeat;
  parsed++;
}

/** Every newline-ended line of [INPUT, INPUT + len); how many lines that was. */
export function floorLines(len: u32): u32 {
  let q = INPUT;
  const end = INPUT + <usize>len;
  let n: u32 = 0;
  while (q < end) {
    const nl = findByte(q, end, 0x0a);
    if (nl > q) floorLine(q, nl);
    q = nl + 1;
    n++;
  }
  return n;
}

/** Position of the first `"` or backslash in [q, end), or end; eight bytes at a time. */
function stringEnd(q: usize, end: usize): usize {
  while (q + 8 <= end) {
    const w = load<u64>(q);
    const a = w ^ 0x2222222222222222;
    const b = w ^ 0x5c5c5c5c5c5c5c5c;
    const hit = ((a - 0x0101010101010101) & ~a | (b - 0x0101010101010101) & ~b) & 0x8080808080808080;
    if (hit != 0) return q + <usize>(ctz(hit) >> 3);
    q += 8;
  }
  while (q < end && load<u8>(q) != 0x22 && load<u8>(q) != 0x5c) q++;
  return q;
}

/** Fluent Bit's filter signature: the `log` string of {"log":"…"} correlated, the record dropped. */
export function filter_floor(tag: usize, tagLen: u32, sec: u32, nsec: u32, rec: usize, len: u32): usize {
  const end = rec + <usize>len;
  const s = findByte(rec, end, 0x3a) + 2; // past `"log":"`
  if (s >= end) return 0;
  const q = stringEnd(s, end);
  if (q >= end || load<u8>(q) != 0x22) return 0; // escapes: not the floor's case
  floorLine(s, q);
  return 0;
}
