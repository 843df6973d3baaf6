// Lines of one packet (ipmon-format.md §4.10): count the packet once.
//
// IPFilter logs a packet once per rule that logs it: a router that logs both ways writes it
// ` IN` on its ingress interface and ` OUT` on its egress interface microseconds later; a
// `log` rule (action `L`) writes it once more, just before the line of the rule that decided
// it, with the same interface and direction; and on a router ICMP and other protocols meet the
// rules again on the way out, so an egress `L` line too. A packet so has up to four lines, one
// per position:
//
//   POS_IN_L   ingress `L`      POS_IN_DEC   ingress decision (p, b, …)
//   POS_OUT_L  egress `L`       POS_OUT_DEC  egress decision
//
// The first line of a packet is counted (engine.ts); every later line of the same packet
// folds into it. Lines belong to the same packet when their fingerprints are equal (logging
// host, addresses, ports or ICMP type/code or fragment id/offset, protocol, IP length, TCP
// flags, repeat count), their ipmon times lie within pair_window, and the position they take
// is free: the `L` and the decision of one side share its interface; the two sides pair only
// on a host that routes (device router, or auto once judged: see crossAllowed).
//
// Matching is order-tolerant: a relay may swap adjacent lines, so an OUT may come before its IN
// and a decision before its `L`. Packets with equal fingerprints (the pure ACKs of a bulk
// transfer) pair first in, first out: a line takes the oldest packet that has its position free,
// so counts stay exact whatever the interleaving (`IN a, IN b, OUT a, OUT b`).
//
// Memory: a ring of the last RING packets (written once each, in order; a packet's sequence
// number's low bits are its ring index) and an index of BUCKETS buckets, each one 64-byte cache
// line of SLOTS slots: a slot holds a 12-bit tag of a packet's hash and the low 20 bits of its
// sequence number.
//
//   entries ┌───────────────────────────────── PairEntry × RING ─────────────────────────────┐
//           │ fingerprint (48) │ time │ flow slot, generation │ positions, waits, ifs │ hash, seq │
//   buckets ┌── slot × SLOTS (u32: tag << 20 | seq & SEQ_MASK) ──┐ × BUCKETS, cursors: u8 × BUCKETS
//
// A packet's `waits` bits say which lines it still waits for:
//
//   WAIT_IN_DEC   an ingress decision (an `L` waiting for its decision, or a router's egress
//                  line waiting for its ingress one)
//   WAIT_OUT_DEC  the same for egress decisions
//   WAIT_L        an `L` line
//
// Why this shape: most lines pair with nothing (every line of a host that logs each packet
// once), yet each must be looked up and remembered, so pairing is paid on every line of a log
// that has nothing to pair (bench: pairing off beside it). Here such a line costs one cache
// line read (its bucket: the tags rule out the packets in it without touching them, in a fixed
// number of steps with no branch to mispredict), the fingerprint written once, straight into
// its ring slot, and one slot write. A new packet takes its bucket's slots in turn (the
// bucket's cursor), so the slot it takes held the bucket's oldest packet, and nothing is ever
// unlinked: a packet the ring has overwritten is stale by its sequence number alone, and one
// that waits for nothing more is passed over by its `waits`. Among packets with the same
// fingerprint (the pure ACKs of a bulk transfer) the oldest with the position free wins, by
// sequence number. Nothing is allocated after pairInit.
//
// The ring's packets spread over the buckets, 4 a bucket, so a bucket pushes out a packet
// still in the ring (which then pairs no more, and a late line of it counts as a new packet)
// only when 17 of the last 4,096 packets share it: about five packets in a million on random
// tuples, and it costs a fold only if a line of that packet, thousands of packets old, is still
// to come. The hash is keyed (hash.ts), so crafted tuples cannot aim at one bucket.

import { hashExtend, hashKey } from "./hash";
import { DEVICE_HOST, DEVICE_ROUTER, Observer } from "./observers";

// The lines of one packet lie a few lines apart in the stream (µs apart, a relay swaps adjacent
// lines), so 4,096 packets are plenty: a line pairs with a packet up to RING - 1 packets back
// (the next slot is where the line's own fingerprint is written). Ring and index: 388 KB.
// @ts-ignore: decorator
@inline export const RING: u32 = 4096;
// @ts-ignore: decorator
@inline const BUCKET_BITS: u32 = 10;
// @ts-ignore: decorator
@inline const BUCKETS: u32 = 1 << BUCKET_BITS;
/** Slots of a bucket: 16 u32, one cache line. */
// @ts-ignore: decorator
@inline const SLOTS_BITS: u32 = 4;
// @ts-ignore: decorator
@inline const SLOTS: u32 = 1 << SLOTS_BITS;
// @ts-ignore: decorator
@inline const SEQ_BITS: u32 = 20;
// @ts-ignore: decorator
@inline const SEQ_MASK: u32 = (1 << SEQ_BITS) - 1;
// @ts-ignore: decorator
@inline export const PAIR_NIL: u32 = 0xffffffff;

// positions (bits of PairEntry.filled)
// @ts-ignore: decorator
@inline export const POS_IN_L: u8 = 1;
// @ts-ignore: decorator
@inline export const POS_IN_DEC: u8 = 2;
// @ts-ignore: decorator
@inline export const POS_OUT_L: u8 = 4;
// @ts-ignore: decorator
@inline export const POS_OUT_DEC: u8 = 8;
// @ts-ignore: decorator
@inline const IN_SIDE: u8 = 3;
// @ts-ignore: decorator
@inline const OUT_SIDE: u8 = 12;

// what a packet still waits for (bits of PairEntry.waits)
// @ts-ignore: decorator
@inline const WAIT_IN_DEC: u8 = 1;
// @ts-ignore: decorator
@inline const WAIT_OUT_DEC: u8 = 2;
// @ts-ignore: decorator
@inline const WAIT_L: u8 = 4;

// fingerprint flags (PairEntry.keyFlags)
// @ts-ignore: decorator
@inline export const FP_V6: u8 = 1;
// @ts-ignore: decorator
@inline export const FP_FRAGMENT: u8 = 2;
/** The line had ports (or ICMP type and code): its flow key says so too (engine.ts buildKey). */
// @ts-ignore: decorator
@inline export const FP_PORTS: u8 = 4;

/**
 * One packet seen in the last RING lines.
 *
 *   0 src (16)  16 dst (16)  32 sport dport proto keyFlags host   40 plen|flags<<24  44 count
 *   48 time   56 flow slot, generation   64 filled waits inIf outIf   70 counted first
 *   72 hash   76 seq
 */
@unmanaged
export class PairEntry {
  src0: u64;
  src1: u64;
  dst0: u64;
  dst1: u64;
  /** Ports, ICMP type and code, or a fragment's id (low 16 bits) and offset. */
  sport: u16;
  dport: u16;
  proto: u8;
  keyFlags: u8;
  /** Logging host (observers.ts slot). */
  host: u16;
  /** IP length, TCP flags in the top byte. */
  plenFlags: u32;
  count: u32;
  /** ipmon time of the line that was counted. */
  timeUs: i64;
  /** The flow the packet was counted in (flowtable.ts slot and generation). */
  flowSlot: u32;
  flowGen: u32;
  /** POS_* taken. */
  filled: u8;
  /** WAIT_* bits: the lines it still waits for; 0 once none (or pushed out of the index). */
  waits: u8;
  /** Interfaces of the ingress and egress lines (intern.ts ids). */
  inIf: u16;
  outIf: u16;
  /** The counted line's position. */
  counted: u8;
  /** 1 if the packet was its flow's first (its decision then gives the flow's rule). */
  first: u8;
  hash: u32;
  /** Sequence number: the packet is the seq-th written (its ring index is the low bits). */
  seq: u32;
}

// @ts-ignore: decorator
@inline const ENTRY_SIZE: u32 = <u32>offsetof<PairEntry>();

let entries: usize = 0;
/** BUCKETS × SLOTS u32 slots (tag << SEQ_BITS | seq & SEQ_MASK). */
let buckets: usize = 0;
/** Per bucket, the slot its next packet takes (u8). */
let cursors: usize = 0;
/** Sequence number of the next packet written. */
let seqNext: u32 = 0;

/**
 * The line being paired: its fingerprint is written straight into the ring slot the next
 * packet takes (whose packet is RING old, past pairing), and stays there if it is one.
 */
let fp: usize = 0;
let fpHash: u32 = 0;

/** Set by pairLine when the fold it found judged the logging host a router (device auto). */
export let judgedNow = false;

/** Allocates the table on first use and empties it. */
export function pairInit(): void {
  if (entries == 0) {
    entries = heap.alloc(<usize>RING * ENTRY_SIZE);
    // on cache-line boundaries: a bucket is read in one line
    buckets = (heap.alloc((<usize>BUCKETS * SLOTS << 2) + 63) + 63) & ~<usize>63;
    cursors = heap.alloc(<usize>BUCKETS);
  }
  memory.fill(cursors, 0, <usize>BUCKETS);
  memory.fill(entries, 0, <usize>RING * ENTRY_SIZE);
  seqNext = 0;
  const free = freeSlot();
  for (let k: usize = 0; k < <usize>BUCKETS * SLOTS; k++) store<u32>(buckets + (k << 2), free);
}

/** The entry at ring index i. */
// @ts-ignore: decorator
@inline export function pairAt(i: u32): PairEntry {
  return changetype<PairEntry>(entries + <usize>i * ENTRY_SIZE);
}

/** Position of a line: its side (IN or OUT) and whether it is an `L` line or a decision. */
// @ts-ignore: decorator
@inline export function positionOf(out: bool, log: bool): u8 {
  return out ? (log ? POS_OUT_L : POS_OUT_DEC) : (log ? POS_IN_L : POS_IN_DEC);
}

/**
 * Sets the fingerprint of the line to pair: 16-byte addresses at src/dst, ports (or ICMP
 * type/code, or fragment id/offset), and the rest. Its hash extends keyHash, the keyed hash of
 * the line's flow key, which the engine computes for the line anyway (srcIsA: which end of
 * that key sent it); a port-less fragment has no flow key, so its own 40 bytes are hashed.
 */
export function pairFingerprint(
  src: usize, dst: usize, sport: u32, dport: u32, proto: u32, keyFlags: u8, host: u32, plen: u32, tcpFlags: u32, count: u32,
  keyHash: u32, srcIsA: bool,
): void {
  const e = pairAt(seqNext & (RING - 1));
  e.waits = 0; // its packet is RING old: no line can take it any more (snapshots skip it)
  fp = changetype<usize>(e);
  store<u64>(fp, load<u64>(src));
  store<u64>(fp, load<u64>(src, 8), 8);
  store<u64>(fp, load<u64>(dst), 16);
  store<u64>(fp, load<u64>(dst, 8), 24);
  store<u16>(fp, <u16>sport, 32);
  store<u16>(fp, <u16>dport, 34);
  store<u8>(fp, <u8>proto, 36);
  store<u8>(fp, keyFlags, 37);
  store<u16>(fp, <u16>host, 38);
  store<u32>(fp, plen | (tcpFlags << 24), 40);
  store<u32>(fp, count, 44);
  if ((keyFlags & FP_FRAGMENT) != 0) {
    keyHash = hashKey(fp); // its direction is in its own bytes
    srcIsA = true;
  }
  fpHash = pairHash(fp, keyHash, srcIsA);
}

/** The hash of the fingerprint at p whose flow key hashes to keyHash (see pairFingerprint). */
export function pairHash(p: usize, keyHash: u32, srcIsA: bool): u32 {
  // both directions of a flow share its key: the direction parts them
  return hashExtend(keyHash, load<u32>(p, 40) | (srcIsA ? 0x10000 : 0), load<u32>(p, 44));
}

// The bucket is the hash's top bits, the tag the next ones: multiply-shift (hash.ts hashExtend)
// mixes the top bits best.
// @ts-ignore: decorator
@inline function bucketIndex(hash: u32): u32 {
  return hash >>> (32 - BUCKET_BITS);
}

/** The first slot of bucket n. */
// @ts-ignore: decorator
@inline function bucketAt(n: u32): usize {
  return buckets + (<usize>n << (SLOTS_BITS + 2));
}

// @ts-ignore: decorator
@inline function tagOf(hash: u32): u32 {
  return ((hash >>> (32 - BUCKET_BITS - 12)) & 0xfff) << SEQ_BITS;
}

/** How many packets ago the slot's packet was written (pairing takes 1 .. RING - 1). */
// @ts-ignore: decorator
@inline function slotAge(slot: u32): u32 {
  return (seqNext - slot) & SEQ_MASK;
}

/** True while a packet that old may still take a line: its ring slot is not the next one. */
// @ts-ignore: decorator
@inline function live(age: u32): bool {
  return age - 1 < RING - 1;
}

/** A slot value that no packet in the ring has: its age is past RING (and grows). */
// @ts-ignore: decorator
@inline function freeSlot(): u32 {
  return (seqNext - RING - 1) & SEQ_MASK;
}

/**
 * Pairs the fingerprinted line at position `pos` on interface ifId, ipmon time t, of host h.
 * Returns the ring index of the packet it belongs to: the oldest one within `window` µs with
 * that position free and the interfaces right (see compatible), which takes the position. Or
 * PAIR_NIL: the line is a new packet, now remembered, and pairCounted must follow once it is
 * counted.
 */
export function pairLine(pos: u8, ifId: u16, t: i64, window: i64, h: Observer): u32 {
  const b = bucketAt(bucketIndex(fpHash));
  const tags = <u64>tagOf(fpHash) * 0x100000001;
  // every slot, two a word, without a branch: most lines pair with nothing, and for them this
  // is one cache line read and about fifty instructions
  let zeros = zeroLanes(load<u64>(b) ^ tags) | zeroLanes(load<u64>(b, 8) ^ tags) |
    zeroLanes(load<u64>(b, 16) ^ tags) | zeroLanes(load<u64>(b, 24) ^ tags);
  if (SLOTS > 8) {
    zeros |= zeroLanes(load<u64>(b, 32) ^ tags) | zeroLanes(load<u64>(b, 40) ^ tags) |
      zeroLanes(load<u64>(b, 48) ^ tags) | zeroLanes(load<u64>(b, 56) ^ tags);
  }
  if ((zeros & 0x8000000080000000) != 0) {
    const i = pairAmong(b, tags, pos, ifId, t, window, h);
    if (i != PAIR_NIL) return i;
  }
  remember(pos, ifId, t, h);
  return PAIR_NIL;
}

/**
 * Of a word of two slots XORed with the tag twice: bit 31 (63) set if the low (high) slot may
 * have the tag, i.e. its top 12 bits are zero (the has-zero-lane trick; a borrow out of a zero
 * low lane can set bit 63 as well, which only sends pairAmong to look).
 */
// @ts-ignore: decorator
@inline function zeroLanes(x: u64): u64 {
  const z = x & 0xfff00000fff00000;
  return (z - 0x100000001) & ~z;
}

/** The slot of the oldest packet pairAmong found so far the line's (0: none), and its age. */
let best: usize = 0;
let bestAge: u32 = 0;

/** pairLine among the slots of bucket b with the line's tag (tags: twice): a ring index or PAIR_NIL. */
function pairAmong(b: usize, tags: u64, pos: u8, ifId: u16, t: i64, window: i64, h: Observer): u32 {
  judgedNow = false;
  best = 0;
  bestAge = 0;
  const tag = <u32>tags;
  for (let s = b; s < b + (<usize>SLOTS << 2); s += 4) {
    if ((load<u32>(s) ^ tag) <= SEQ_MASK) consider(s, pos, ifId, t, window, h);
  }
  if (best == 0) return PAIR_NIL;
  const i = load<u32>(best) & (RING - 1);
  take(pairAt(i), pos, ifId, h);
  return i;
}

/** Whether the packet in the slot at s (its tag is the line's) is the line's: the oldest so far. */
function consider(s: usize, pos: u8, ifId: u16, t: i64, window: i64, h: Observer): void {
  const slot = load<u32>(s);
  const age = slotAge(slot);
  if (!live(age) || age <= bestAge) return;
  const e = pairAt(slot & (RING - 1));
  if (e.seq != seqNext - age || (e.waits & waitOf(pos)) == 0 || e.hash != fpHash) return;
  const dt = t - e.timeUs;
  if (dt > window || dt < -window || !sameFingerprint(e) || !compatible(e, pos, ifId, h)) return;
  best = s;
  bestAge = age;
}

/** The wait (WAIT_*) a line at `pos` ends. */
// @ts-ignore: decorator
@inline function waitOf(pos: u8): u8 {
  return (pos & (POS_IN_L | POS_OUT_L)) != 0 ? WAIT_L : (pos == POS_IN_DEC ? WAIT_IN_DEC : WAIT_OUT_DEC);
}

/** Packet e takes the line at `pos` on interface ifId. */
function take(e: PairEntry, pos: u8, ifId: u16, h: Observer): void {
  const c = waitOf(pos);
  const inSide = (pos & IN_SIDE) != 0;
  if ((e.filled & (inSide ? IN_SIDE : OUT_SIDE)) == 0) judge(h, inSide ? e.outIf : e.inIf, ifId);
  e.filled |= pos;
  // One wait serves both `L` positions: on a host that may route, a packet whose decision
  // came first (a relay swapped it with its `L`) still waits for its egress `L`.
  const bothL = (e.filled & (POS_IN_L | POS_OUT_L)) == (POS_IN_L | POS_OUT_L);
  if (c != WAIT_L || bothL || h.device == DEVICE_HOST) {
    e.waits &= ~c; // at 0 it stays in its slot: a line that finds it there passes it over
  }
  if (inSide) e.inIf = ifId;
  else e.outIf = ifId;
}

/**
 * Whether a line at `pos` on interface ifId may join packet e. Its position must be free. If
 * e has a line on the same side, the interface must be that line's (an `L` and its decision
 * are logged on one interface). If e has only the other side, the two are the ingress and
 * egress lines of a forwarded packet: see crossAllowed.
 */
function compatible(e: PairEntry, pos: u8, ifId: u16, h: Observer): bool {
  if ((e.filled & pos) != 0) return false;
  const inSide = (pos & IN_SIDE) != 0;
  if ((e.filled & (inSide ? IN_SIDE : OUT_SIDE)) != 0) return (inSide ? e.inIf : e.outIf) == ifId;
  return crossAllowed(h, inSide ? e.outIf : e.inIf, ifId);
}

/**
 * Whether a host pairs a packet's ingress and egress lines (interfaces a and b). `router`:
 * always, hairpins (a == b) included; `host`: never. `auto`: a host that logs one packet IN on
 * one interface and OUT on another is a router from then on (judge); before that, a hairpin
 * pairs only on a host that has logged on more than one interface, so a one-interface host is
 * never paired.
 */
function crossAllowed(h: Observer, a: u16, b: u16): bool {
  if (h.device == DEVICE_ROUTER) return true;
  if (h.device == DEVICE_HOST) return false;
  return h.judged != 0 || a != b || h.multiIf != 0;
}

/** A packet's ingress and egress lines paired on interfaces a and b: device auto judges. */
function judge(h: Observer, a: u16, b: u16): void {
  if (h.device != DEVICE_ROUTER && h.judged == 0 && a != b) {
    h.judged = 1;
    judgedNow = true;
  }
}

/**
 * The fingerprinted line is a new packet, its line at `pos` on interface ifId, time t, waiting
 * for the positions that may still be taken on host h.
 */
function remember(pos: u8, ifId: u16, t: i64, h: Observer): void {
  const e = changetype<PairEntry>(fp);
  e.hash = fpHash;
  const inSide = (pos & IN_SIDE) != 0;
  const waits = load<u8>(WAITS + <usize>pos + (h.device != DEVICE_HOST ? 16 : 0));
  settle(e, t, pos, pos, inSide ? ifId : 0, inSide ? 0 : ifId, waits);
}

/**
 * Makes e (fingerprint and hash set, in the ring slot seqNext takes) the ring's newest packet,
 * and indexes it in its bucket if it waits for a line.
 */
function settle(e: PairEntry, t: i64, filled: u8, counted: u8, inIf: u16, outIf: u16, waits: u8): void {
  e.seq = seqNext++;
  e.timeUs = t;
  e.filled = filled;
  e.counted = counted;
  e.inIf = inIf;
  e.outIf = outIf;
  e.waits = waits;
  if (waits != 0) index(e);
}

/**
 * What a new packet waits for (WAIT_*), by its line's position (POS_*), plus 16 on a host that
 * may route (not device host; auto: it may turn out to be a router):
 *
 *   `L` line      its decision; on a host that may route, the other side's decision and `L` too
 *   decision      its `L` (a relay may send it late); on one that may route, the other side's
 *                 decision too
 */
const WAITS: usize = memory.data<u8>([
  0, WAIT_IN_DEC, WAIT_L, 0, WAIT_OUT_DEC, 0, 0, 0, WAIT_L, 0, 0, 0, 0, 0, 0, 0,
  0, WAIT_IN_DEC | WAIT_OUT_DEC | WAIT_L, WAIT_OUT_DEC | WAIT_L, 0, WAIT_OUT_DEC | WAIT_IN_DEC | WAIT_L, 0, 0, 0,
  WAIT_IN_DEC | WAIT_L, 0, 0, 0, 0, 0, 0, 0,
]);

/** The packet pairLine just remembered was counted in flow (slot, generation), its first if `first`. */
export function pairCounted(flowSlot: u32, flowGen: u32, first: bool): void {
  const e = changetype<PairEntry>(fp);
  e.flowSlot = flowSlot;
  e.flowGen = flowGen;
  e.first = first ? 1 : 0;
}

/**
 * Puts packet e (the newest) in the next slot of its bucket. A bucket's slots are taken in
 * turn, so the one taken held the bucket's oldest packet, which the ring has nearly always
 * overwritten by then; if not, that packet leaves the index (see the top of the file).
 */
function index(e: PairEntry): void {
  const n = bucketIndex(e.hash);
  const k = <u32>load<u8>(cursors + n);
  store<u8>(cursors + n, <u8>((k + 1) & (SLOTS - 1)));
  const s = bucketAt(n) + (<usize>k << 2);
  const old = load<u32>(s);
  if (live(slotAge(old))) pushOut(old);
  store<u32>(s, tagOf(e.hash) | (e.seq & SEQ_MASK));
}

/** A full bucket's oldest packet leaves the index: it stops waiting (snapshots skip it). */
function pushOut(slot: u32): void {
  const e = pairAt(slot & (RING - 1));
  if (e.seq == seqNext - slotAge(slot)) e.waits = 0;
}

/** The ring index the next new packet takes (snapshots write the ring oldest first from it). */
export function pairRingNext(): u32 {
  return seqNext & (RING - 1);
}

function sameFingerprint(e: PairEntry): bool {
  const a = changetype<usize>(e);
  return load<u64>(a) == load<u64>(fp) && load<u64>(a, 8) == load<u64>(fp, 8) && load<u64>(a, 16) == load<u64>(fp, 16) &&
    load<u64>(a, 24) == load<u64>(fp, 24) && load<u64>(a, 32) == load<u64>(fp, 32) && load<u64>(a, 40) == load<u64>(fp, 40);
}

/** True if the packet in ring slot i still has a position a line may take (snapshots). */
export function pairOpen(i: u32): bool {
  return pairAt(i).waits != 0;
}

/**
 * Puts back a packet a snapshot wrote (its fingerprint at p, with `host` the slot its logging
 * host has now, keyHash and srcIsA its flow key's as the engine keys it now): the ring's
 * newest, indexed if it waits for a line. The caller goes from the oldest packet to the
 * newest, so sequence numbers keep their order.
 */
export function pairRestoreEntry(
  p: usize, host: u32, keyHash: u32, srcIsA: bool, t: i64, flowSlot: u32, flowGen: u32, filled: u8, waits: u8, counted: u8, first: u8, inIf: u16, outIf: u16,
): void {
  const e = pairAt(seqNext & (RING - 1));
  memory.copy(changetype<usize>(e), p, 48);
  e.host = <u16>host;
  const fragment = (e.keyFlags & FP_FRAGMENT) != 0;
  e.hash = pairHash(changetype<usize>(e), fragment ? hashKey(changetype<usize>(e)) : keyHash, fragment || srcIsA);
  e.flowSlot = flowSlot;
  e.flowGen = flowGen;
  e.first = first;
  settle(e, t, filled, counted, inIf, outIf, waits);
}
