// The correlator floor (issue 8): the least work any tool of this kind does per ipmon line,
// written as tightly as this repository knows how, so `npm run bench` can print the rate the
// real module is measured against. Not a product: it exists to show where the throughput
// targets sit beside what one core can do at all.
//
// Per line it does only what every correlator must:
//   - find the line (`floorLines`, CLI-shaped) or the `log` string of a Fluent Bit JSON record
//     (`filter_floor`, the filter ABI of fluent-bit-wasm.md §1);
//   - step over the syslog header (ipmon-format.md §1) or the bare date, and the ipmon time of
//     day, parsed to microseconds of the day;
//   - an optional `Nx` repeat, the interface, rule and action tokens;
//   - both endpoints: a dotted quad parsed to 32 bits, an IPv6 address taken as up to 16 bytes
//     of its text (cheaper than parsing it), the port after the last comma;
//   - the IP length, and the flags token kept as its first 8 bytes;
//   - a canonical key (lower endpoint first, as flow-semantics.md §2), the module's own keyed
//     hash of it (assembly/flows/hash.ts, SipHash-1-3), a linear probe of an open-addressing
//     table that holds the whole key, and the slot's packet, byte and last-seen counters.
// It does none of the rest: no calendar or year, no direction or router pairing, no TCP state,
// history or conn_state, no timeouts, no records out, no Community ID, no stats. Lines of other
// forms (RFC 5424, names, ICMP details) are still found and cut into tokens; their endpoints are
// hashed as text. It steps with the module's own scanners (assembly/parse/cursor.ts) and hash.
// Whatever the module adds on top of this is the price of its features.
//
//   SLOT (64 bytes)
//   ┌──────────┬──────────┬──────────┬──────────┬──────────────── key (40) ─────────────────┐
//   │ hash u32 │ pkts u32 │ bytes u64│ last u64 │ lo addr+port (16) │ hi (16) │ proto (8)     │
//   └──────────┴──────────┴──────────┴──────────┴──────────────────────────────────────────┘

import { e, eat4, findByte, number, p } from '../../assembly/parse/cursor';
import { hashKey } from '../../assembly/flows/hash';

// @ts-ignore: decorator
@inline const TABLE_BITS: u32 = 17;
// @ts-ignore: decorator
@inline const SLOT: usize = 64;
// @ts-ignore: decorator
@inline const INPUT_BYTES: i32 = 2 << 20;

const TABLE: usize = memory.data(<i32>(SLOT << TABLE_BITS));
const KEY: usize = memory.data(40);

/** Where the host writes the lines `floorLines` reads (2 MiB). */
export const INPUT: usize = memory.data(INPUT_BYTES);

let parsed: u32 = 0;
let tuples: u32 = 0;
let packets: u64 = 0;

// @ts-ignore: decorator
@inline function skipToken(): void {
  p = findByte(p, e, 0x20);
  while (p < e && load<u8>(p) == 0x20) p++;
}

/** The decimal at the cursor, 0 if there is none. */
// @ts-ignore: decorator
@inline function num(): u32 {
  const v = number();
  return v < 0 ? 0 : <u32>v;
}

/** HH:MM:SS.ffffff at the cursor as microseconds of the day, cursor past the token. */
function timeOfDay(): u64 {
  const h = num(); p++;
  const m = num(); p++;
  const s = num();
  let us: u64 = 0;
  if (p < e && load<u8>(p) == 0x2e) {
    p++;
    us = num();
  }
  skipToken();
  return ((<u64>h * 60 + m) * 60 + s) * 1_000_000 + us;
}

/** The endpoint at the cursor into 16 bytes at `dst`; the cursor is left on the space after it. */
function endpoint(dst: usize): void {
  store<u64>(dst, 0);
  store<u64>(dst, 0, 8);
  // the common case in one forward pass: a dotted quad, `,` and the port
  const start = p;
  let addr: u32 = 0;
  let i = 0;
  for (; i < 4; i++) {
    const q = p;
    addr = (addr << 8) | num();
    if (p == q || p >= e || load<u8>(p) != (i < 3 ? 0x2e : 0x2c)) break;
    p++;
  }
  if (i == 4) {
    store<u32>(dst, addr);
    store<u32>(dst, num(), 4);
    return;
  }
  // anything else (IPv6, names): up to 14 bytes of the address text and the port
  p = start;
  const end = findByte(p, e, 0x20);
  let comma = end;
  while (comma > p && load<u8>(comma - 1) != 0x2c) comma--;
  const hostEnd = comma > p ? comma - 1 : end;
  memory.copy(dst, p, hostEnd - p < 14 ? hostEnd - p : 14);
  p = comma;
  store<u16>(dst, <u16>num(), 14);
  p = end;
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

/** The slot of the key at KEY, claimed if new; 0 when the table is full. */
function slotOf(): usize {
  const h = hashKey(KEY) | 1; // 0 marks a free slot
  const mask: u32 = (1 << TABLE_BITS) - 1;
  let i = h & mask;
  for (let probes: u32 = 0; probes <= mask; probes++) {
    const slot = TABLE + (<usize>i << 6);
    const k = load<u32>(slot);
    if (k == 0) {
      store<u32>(slot, h);
      memory.copy(slot + 24, KEY, 40);
      tuples++;
      return slot;
    }
    if (k == h && load<u64>(slot, 24) == load<u64>(KEY) && load<u64>(slot, 32) == load<u64>(KEY, 8) &&
        load<u64>(slot, 40) == load<u64>(KEY, 16) && load<u64>(slot, 48) == load<u64>(KEY, 24) &&
        load<u64>(slot, 56) == load<u64>(KEY, 32)) return slot;
    i = (i + 1) & mask;
  }
  return 0;
}

// @ts-ignore: decorator
@inline const ARROW: u32 = 0x203e2d20; // " -> "
// @ts-ignore: decorator
@inline const PR: u32 = 0x20525020; // " PR "
// @ts-ignore: decorator
@inline const LEN: u32 = 0x206e656c; // "len "

/** One line in [p, e): parsed and counted, or skipped when it is not a packet line. */
function floorLine(): void {
  if (e - p < 64) return;
  if (<u32>load<u8>(p) - 0x30 <= 9) {
    p += 11; // bare ipmon: `03/03/2024 `
  } else {
    p += 16; // BSD syslog: `Mar  3 08:00:00 `, then the host and the tag
    skipToken();
    skipToken();
  }
  const t = timeOfDay();
  let repeat: u32 = 1;
  if (<u32>load<u8>(p) - 0x30 <= 9) { // `Nx`
    repeat = num();
    skipToken();
  }
  skipToken(); // interface
  skipToken(); // @group:rule
  p += 2; // action letter
  const a = KEY; // the two endpoints, written in place, then put in canonical order
  endpoint(a);
  if (!eat4(ARROW)) return;
  endpoint(a + 16);
  if (!eat4(PR)) return;
  const proto = load<u32>(p);
  skipToken();
  if (!eat4(LEN)) return;
  num(); // IP header length
  p++;
  const len = num();
  p++;
  if (p >= e) return;
  const flags = e - p >= 8 ? load<u64>(p) : 0;
  // canonical order: the lower (address, port) first
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
  parsed++;
}

/** Every newline-ended line of [INPUT, INPUT + len); how many lines that was. */
export function floorLines(len: u32): u32 {
  let q = INPUT;
  const end = INPUT + <usize>len;
  let n: u32 = 0;
  while (q < end) {
    const nl = findByte(q, end, 0x0a);
    if (nl > q) {
      p = q;
      e = nl;
      floorLine();
    }
    q = nl + 1;
    n++;
  }
  return n;
}

/** Fluent Bit's filter signature: the `log` string of {"log":"…"} correlated, the record dropped. */
export function filter_floor(tag: usize, tagLen: u32, sec: u32, nsec: u32, rec: usize, len: u32): usize {
  const end = rec + <usize>len;
  const s = findByte(rec, end, 0x3a) + 2; // past `"log":"`
  if (s >= end) return 0;
  const q = stringEnd(s, end);
  if (q >= end || load<u8>(q) != 0x22) return 0; // escapes: not the floor's case
  p = s;
  e = q;
  floorLine();
  return 0;
}

/** Lines parsed into a tuple so far. */
export function floorParsed(): u32 {
  return parsed;
}

/** Distinct tuples in the table. */
export function floorTuples(): u32 {
  return tuples;
}

/** Packets counted (repeats included). */
export function floorPackets(): u64 {
  return packets;
}
