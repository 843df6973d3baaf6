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
// Memory: a ring of RING entries (the last RING packets, written once each), and per hash
// bucket one FIFO chain of the packets that still have a position free:
//
//   entries ┌──────────────────────────────── PairEntry × RING ───────────────────────────┐
//           │ fingerprint (48) │ time │ flow slot, generation │ positions, chains, ifs │ link │
//   buckets ┌──────────────── head, tail × BUCKETS (u32 entry index, NIL) ─────────────────┐
//
// A packet's `chains` bits say which lines it still waits for:
//
//   CHAIN_IN_DEC   an ingress decision (an `L` waiting for its decision, or a router's egress
//                  line waiting for its ingress one)
//   CHAIN_OUT_DEC  the same for egress decisions
//   CHAIN_L        an `L` line
//
// A packet leaves its bucket's chain when it waits for nothing more. The chain is in arrival
// order, so the oldest packet (the one the ring overwrites next) is always at its head, and the
// first packet in it that waits for a line's position is the oldest that does. One chain per
// bucket, with head and tail side by side, keeps a line to about three cache lines (the bucket,
// the packet it walks to, which is mostly the tail it appends after, and the ring slot it
// writes): pairing is paid on every line of a host that never pairs anything (bench: pairing
// off beside it). Nothing is allocated after pairInit.

import { hashExtend, hashKey } from "./hash";
import { DEVICE_HOST, DEVICE_ROUTER, Observer } from "./observers";

// The lines of one packet lie a few lines apart in the stream (µs apart, a relay swaps adjacent
// lines), so 4,096 packets are plenty; a small ring and index (~450 KB) stay in cache, which is
// most of what pairing costs a log that has nothing to pair (bench: pair_window 0 beside it).
// @ts-ignore: decorator
@inline export const RING: u32 = 4096;
// @ts-ignore: decorator
@inline const BUCKET_BITS: u32 = 12;
// @ts-ignore: decorator
@inline const BUCKETS: u32 = 1 << BUCKET_BITS;
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

// what a packet still waits for (bits of PairEntry.chains)
// @ts-ignore: decorator
@inline const CHAIN_IN_DEC: u8 = 1;
// @ts-ignore: decorator
@inline const CHAIN_OUT_DEC: u8 = 2;
// @ts-ignore: decorator
@inline const CHAIN_L: u8 = 4;

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
 *   48 time   56 flow slot, generation   64 filled chains inIf outIf   70 counted first
 *   72 hash   76 next (the bucket chain's link)
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
  /** CHAIN_* bits: the lines it still waits for; 0 once out of its bucket's chain. */
  chains: u8;
  /** Interfaces of the ingress and egress lines (intern.ts ids). */
  inIf: u16;
  outIf: u16;
  /** The counted line's position. */
  counted: u8;
  /** 1 if the packet was its flow's first (its decision then gives the flow's rule). */
  first: u8;
  hash: u32;
  next: u32;
}

// @ts-ignore: decorator
@inline const ENTRY_SIZE: u32 = <u32>offsetof<PairEntry>();

let entries: usize = 0;
/** Per bucket: u32 head, u32 tail. */
let buckets: usize = 0;
/** Ring position of the next entry written. */
let ringNext: u32 = 0;

/** The fingerprint of the line being paired (48 bytes, PairEntry's head). */
const FP: usize = memory.data(48);
let fpHash: u32 = 0;
let fpBucket: u32 = 0;

/** Set by pairFind when the fold it found judged the logging host a router (device auto). */
export let judgedNow = false;

/** Allocates the table on first use and empties it. */
export function pairInit(): void {
  if (entries == 0) {
    entries = heap.alloc(<usize>RING * ENTRY_SIZE);
    buckets = heap.alloc(<usize>BUCKETS << 3);
  }
  memory.fill(entries, 0, <usize>RING * ENTRY_SIZE);
  memory.fill(buckets, 0xff, <usize>BUCKETS << 3);
  ringNext = 0;
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
  store<u64>(FP, load<u64>(src));
  store<u64>(FP, load<u64>(src, 8), 8);
  store<u64>(FP, load<u64>(dst), 16);
  store<u64>(FP, load<u64>(dst, 8), 24);
  store<u16>(FP, <u16>sport, 32);
  store<u16>(FP, <u16>dport, 34);
  store<u8>(FP, <u8>proto, 36);
  store<u8>(FP, keyFlags, 37);
  store<u16>(FP, <u16>host, 38);
  store<u32>(FP, plen | (tcpFlags << 24), 40);
  store<u32>(FP, count, 44);
  if ((keyFlags & FP_FRAGMENT) != 0) {
    keyHash = hashKey(FP); // its direction is in its own bytes
    srcIsA = true;
  }
  fpHash = pairHash(FP, keyHash, srcIsA);
  fpBucket = bucketOf(fpHash);
}

/** The hash of the fingerprint at fp whose flow key hashes to keyHash (see pairFingerprint). */
export function pairHash(fp: usize, keyHash: u32, srcIsA: bool): u32 {
  // both directions of a flow share its key: the direction parts them
  return hashExtend(keyHash, load<u32>(fp, 40) | (srcIsA ? 0x10000 : 0), load<u32>(fp, 44));
}

// The bucket is the hash's top bits: multiply-shift (hash.ts hashExtend) mixes those best.
// @ts-ignore: decorator
@inline function bucketOf(hash: u32): u32 {
  return hash >>> (32 - BUCKET_BITS);
}

/**
 * The packet the fingerprinted line belongs to: the oldest one within `window` µs of time t
 * with position `pos` free and the interfaces right (see compatible). It takes the position
 * and leaves that position's chain. Returns its ring index, or PAIR_NIL: the line is a new
 * packet (pairAdd).
 */
export function pairFind(pos: u8, ifId: u16, t: i64, window: i64, h: Observer): u32 {
  judgedNow = false;
  const c = (pos & (POS_IN_L | POS_OUT_L)) != 0 ? CHAIN_L : (pos == POS_IN_DEC ? CHAIN_IN_DEC : CHAIN_OUT_DEC);
  const b = buckets + (<usize>fpBucket << 3);
  const host = load<u16>(FP, 38);
  let prev = PAIR_NIL;
  let i = load<u32>(b);
  while (i != PAIR_NIL) {
    const e = pairAt(i);
    const next = e.next;
    const age = t - e.timeUs;
    if (age > window && prev == PAIR_NIL && e.host == host) {
      // too old for any line of its host still to come: prune it. Only by a line of its own
      // host: another firewall's clock may be hours ahead (time zones), and its lines would
      // prune packets whose other lines are still on their way.
      e.chains = 0;
      unlink(b, PAIR_NIL, i, next);
    } else {
      if ((e.chains & c) != 0 && e.hash == fpHash && age <= window && age >= -window && sameFingerprint(e) && compatible(e, pos, ifId, h)) {
        e.filled |= pos;
        // One wait serves both `L` positions: on a host that may route, a packet whose
        // decision came first (a relay swapped it with its `L`) still waits for its egress `L`.
        const bothL = (e.filled & (POS_IN_L | POS_OUT_L)) == (POS_IN_L | POS_OUT_L);
        if (c != CHAIN_L || bothL || h.device == DEVICE_HOST) {
          e.chains &= ~c;
          if (e.chains == 0) unlink(b, prev, i, next);
        }
        if ((pos & IN_SIDE) != 0) e.inIf = ifId;
        else e.outIf = ifId;
        return i;
      }
      prev = i;
    }
    i = next;
  }
  return PAIR_NIL;
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
 * one interface and OUT on another is a router from then on (judged here, once); before that,
 * a hairpin pairs only on a host that has logged on more than one interface, so a
 * one-interface host is never paired.
 */
function crossAllowed(h: Observer, a: u16, b: u16): bool {
  if (h.device == DEVICE_ROUTER) return true;
  if (h.device == DEVICE_HOST) return false;
  if (h.judged != 0) return true;
  if (a != b) {
    h.judged = 1;
    judgedNow = true;
    return true;
  }
  return h.multiIf != 0;
}

/**
 * Remembers the fingerprinted line as a new packet, counted in flow (slot, generation), with
 * its line at `pos` on interface ifId, and links it in the chains of the positions that may
 * still be taken on host h.
 */
export function pairAdd(pos: u8, ifId: u16, t: i64, flowSlot: u32, flowGen: u32, h: Observer, first: bool): void {
  const i = ringNext;
  ringNext = (ringNext + 1) & (RING - 1);
  const e = pairAt(i);
  if (e.chains != 0) evict(e, i);
  copyFingerprint(changetype<usize>(e), FP);
  e.timeUs = t;
  e.flowSlot = flowSlot;
  e.flowGen = flowGen;
  e.filled = pos;
  e.counted = pos;
  e.first = first ? 1 : 0;
  e.chains = 0;
  e.inIf = (pos & IN_SIDE) != 0 ? ifId : 0;
  e.outIf = (pos & IN_SIDE) != 0 ? 0 : ifId;
  e.hash = fpHash;
  const routes = h.device != DEVICE_HOST; // auto: it may turn out to be a router
  const log = (pos & (POS_IN_L | POS_OUT_L)) != 0;
  const inSide = (pos & IN_SIDE) != 0;
  let waits: u8 = 0;
  if (log) waits |= inSide ? CHAIN_IN_DEC : CHAIN_OUT_DEC; // its decision
  if (routes) waits |= inSide ? CHAIN_OUT_DEC : CHAIN_IN_DEC; // the other interface's decision
  if (!log || routes) waits |= CHAIN_L; // its `L` (late), or the other interface's
  append(e, i, waits);
}

/** The ring index the next new packet takes (snapshots write the ring oldest first from it). */
export function pairRingNext(): u32 {
  return ringNext;
}

// Six word moves: memory.copy is a call out of the module in V8, several times the cost.
// @ts-ignore: decorator
@inline function copyFingerprint(to: usize, from: usize): void {
  store<u64>(to, load<u64>(from));
  store<u64>(to, load<u64>(from, 8), 8);
  store<u64>(to, load<u64>(from, 16), 16);
  store<u64>(to, load<u64>(from, 24), 24);
  store<u64>(to, load<u64>(from, 32), 32);
  store<u64>(to, load<u64>(from, 40), 40);
}

function sameFingerprint(e: PairEntry): bool {
  const a = changetype<usize>(e);
  return load<u64>(a) == load<u64>(FP) && load<u64>(a, 8) == load<u64>(FP, 8) && load<u64>(a, 16) == load<u64>(FP, 16) &&
    load<u64>(a, 24) == load<u64>(FP, 24) && load<u64>(a, 32) == load<u64>(FP, 32) && load<u64>(a, 40) == load<u64>(FP, 40);
}

/** Links entry i at the tail of its bucket's chain, waiting for the lines in `waits`. */
function append(e: PairEntry, i: u32, waits: u8): void {
  e.chains = waits;
  if (waits == 0) return;
  const b = buckets + (<usize>bucketOf(e.hash) << 3);
  e.next = PAIR_NIL;
  const tail = load<u32>(b, 4);
  if (tail == PAIR_NIL) store<u32>(b, i);
  else pairAt(tail).next = i;
  store<u32>(b, i, 4);
}

/** Takes entry i (after prev, or at the head if prev is PAIR_NIL) out of bucket b's chain. */
// @ts-ignore: decorator
@inline function unlink(b: usize, prev: u32, i: u32, next: u32): void {
  if (prev == PAIR_NIL) store<u32>(b, next);
  else pairAt(prev).next = next;
  if (next == PAIR_NIL) store<u32>(b, prev, 4);
}

/** The ring comes round to a packet still in its chain: it is the oldest, so at the head. */
function evict(e: PairEntry, i: u32): void {
  const b = buckets + (<usize>bucketOf(e.hash) << 3);
  let prev = PAIR_NIL;
  let j = load<u32>(b);
  while (j != PAIR_NIL && j != i) {
    prev = j;
    j = pairAt(j).next;
  }
  if (j == i) unlink(b, prev, i, e.next);
  e.chains = 0;
}

/** True if the packet in ring slot i still has a position a line may take (snapshots). */
export function pairOpen(i: u32): bool {
  return pairAt(i).chains != 0;
}

/**
 * Puts back a packet a snapshot wrote (its fingerprint at fp, with `host` the slot its
 * logging host has now, keyHash and srcIsA its flow key's as the engine keys it now): the next
 * ring slot, linked in its bucket's chain if it waits for a line. The caller goes from the
 * oldest packet to the newest, so the chains keep their order.
 */
export function pairRestoreEntry(
  fp: usize, host: u32, keyHash: u32, srcIsA: bool, t: i64, flowSlot: u32, flowGen: u32, filled: u8, chains: u8, counted: u8, first: u8, inIf: u16, outIf: u16,
): void {
  const i = ringNext;
  ringNext = (ringNext + 1) & (RING - 1);
  const e = pairAt(i);
  if (e.chains != 0) evict(e, i);
  copyFingerprint(changetype<usize>(e), fp);
  e.host = <u16>host;
  const fragment = (e.keyFlags & FP_FRAGMENT) != 0;
  e.hash = pairHash(changetype<usize>(e), fragment ? hashKey(changetype<usize>(e)) : keyHash, fragment || srcIsA);
  e.timeUs = t;
  e.flowSlot = flowSlot;
  e.flowGen = flowGen;
  e.filled = filled;
  e.counted = counted;
  e.first = first;
  e.inIf = inIf;
  e.outIf = outIf;
  append(e, i, chains);
}
