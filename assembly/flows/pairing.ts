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
// bucket three FIFO chains of the packets that still have a position free:
//
//   entries ┌──────────────────────────────── PairEntry × RING ─────────────────────────────┐
//           │ fingerprint (48) │ time │ flow slot, generation │ positions, chains, ifs │ links │
//   buckets ┌─────────────── head, tail × 3 chains × BUCKETS (u32 entry index, NIL) ─────────┐
//
//   CHAIN_IN_DEC   packets an ingress decision may still join (an `L` waiting for its
//                  decision, or a router's egress line waiting for its ingress one)
//   CHAIN_OUT_DEC  the same for egress decisions
//   CHAIN_L        packets an `L` line may still join
//
// A packet leaves a chain when the position the chain is for is taken. Chains are in arrival
// order, so the oldest packet (the one the ring overwrites next) is always at their heads.
// Nothing is allocated after pairInit.

import { hashKey48 } from "./hash";
import { DEVICE_HOST, DEVICE_ROUTER, Observer } from "./observers";

// The lines of one packet lie a few lines apart in the stream (µs apart, a relay swaps adjacent
// lines), so 4,096 packets are plenty; a small ring and index (~450 KB) stay in cache, which is
// most of what pairing costs a log that has nothing to pair (bench: pair_window 0 beside it).
// @ts-ignore: decorator
@inline export const RING: u32 = 4096;
// @ts-ignore: decorator
@inline const BUCKETS: u32 = 4096;
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

// chains (bits of PairEntry.chains)
// @ts-ignore: decorator
@inline const CHAIN_IN_DEC: u32 = 0;
// @ts-ignore: decorator
@inline const CHAIN_OUT_DEC: u32 = 1;
// @ts-ignore: decorator
@inline const CHAIN_L: u32 = 2;
// @ts-ignore: decorator
@inline const CHAINS: u32 = 3;

// fingerprint flags (PairEntry.keyFlags)
// @ts-ignore: decorator
@inline export const FP_V6: u8 = 1;
// @ts-ignore: decorator
@inline export const FP_FRAGMENT: u8 = 2;

/**
 * One packet seen in the last RING lines.
 *
 *   0 src (16)  16 dst (16)  32 sport dport proto keyFlags host   40 plen|flags<<24  44 count
 *   48 time   56 flow slot, generation   64 filled chains inIf outIf   72 hash, links (3)
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
  /** Chains the entry is linked in (bit per chain). */
  chains: u8;
  /** Interfaces of the ingress and egress lines (intern.ts ids). */
  inIf: u16;
  outIf: u16;
  /** The counted line's position. */
  counted: u8;
  /** 1 if the packet was its flow's first (its decision then gives the flow's rule). */
  first: u8;
  hash: u32;
  next0: u32;
  next1: u32;
  next2: u32;
}

// @ts-ignore: decorator
@inline const ENTRY_SIZE: u32 = <u32>offsetof<PairEntry>();

let entries: usize = 0;
let heads: usize = 0;
let tails: usize = 0;
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
    heads = heap.alloc(<usize>(BUCKETS * CHAINS) << 2);
    tails = heap.alloc(<usize>(BUCKETS * CHAINS) << 2);
  }
  memory.fill(entries, 0, <usize>RING * ENTRY_SIZE);
  memory.fill(heads, 0xff, <usize>(BUCKETS * CHAINS) << 2);
  memory.fill(tails, 0xff, <usize>(BUCKETS * CHAINS) << 2);
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
 * type/code, or fragment id/offset), and the rest; computes its hash.
 */
export function pairFingerprint(
  src: usize, dst: usize, sport: u32, dport: u32, proto: u32, keyFlags: u8, host: u32, plen: u32, tcpFlags: u32, count: u32,
): void {
  memory.copy(FP, src, 16);
  memory.copy(FP + 16, dst, 16);
  store<u16>(FP, <u16>sport, 32);
  store<u16>(FP, <u16>dport, 34);
  store<u8>(FP, <u8>proto, 36);
  store<u8>(FP, keyFlags, 37);
  store<u16>(FP, <u16>host, 38);
  store<u32>(FP, plen | (tcpFlags << 24), 40);
  store<u32>(FP, count, 44);
  fpHash = hashKey48(FP);
  fpBucket = fpHash & (BUCKETS - 1);
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
  const slot = <usize>(c * BUCKETS + fpBucket) << 2;
  let prev = PAIR_NIL;
  let i = load<u32>(heads + slot);
  while (i != PAIR_NIL) {
    const e = pairAt(i);
    const next = linkOf(e, c);
    const age = t - e.timeUs;
    if (age > window && prev == PAIR_NIL && e.host == load<u16>(FP, 38)) {
      // too old for any line of its host still to come: prune it from this chain. Only by a
      // line of its own host: another firewall's clock may be hours ahead (time zones), and
      // its lines would prune packets whose other lines are still on their way.
      unlink(e, c, slot, PAIR_NIL, i);
    } else {
      if (e.hash == fpHash && age <= window && age >= -window && sameFingerprint(e) && compatible(e, pos, ifId, h)) {
        e.filled |= pos;
        // One chain serves both `L` positions: on a host that may route, a packet whose
        // decision came first (a relay swapped it with its `L`) still waits for its egress `L`.
        const bothL = (e.filled & (POS_IN_L | POS_OUT_L)) == (POS_IN_L | POS_OUT_L);
        if (c != CHAIN_L || bothL || h.device == DEVICE_HOST) unlink(e, c, slot, prev, i);
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
  memory.copy(changetype<usize>(e), FP, 48);
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
  if (log) append(e, i, inSide ? CHAIN_IN_DEC : CHAIN_OUT_DEC); // its decision
  if (routes) append(e, i, inSide ? CHAIN_OUT_DEC : CHAIN_IN_DEC); // the other interface's decision
  if (!log || routes) append(e, i, CHAIN_L); // its `L` (late), or the other interface's
}

/** The ring index the next new packet takes (snapshots write the ring oldest first from it). */
export function pairRingNext(): u32 {
  return ringNext;
}

function sameFingerprint(e: PairEntry): bool {
  const a = changetype<usize>(e);
  return load<u64>(a) == load<u64>(FP) && load<u64>(a, 8) == load<u64>(FP, 8) && load<u64>(a, 16) == load<u64>(FP, 16) &&
    load<u64>(a, 24) == load<u64>(FP, 24) && load<u64>(a, 32) == load<u64>(FP, 32) && load<u64>(a, 40) == load<u64>(FP, 40);
}

// @ts-ignore: decorator
@inline function linkOf(e: PairEntry, c: u32): u32 {
  return load<u32>(changetype<usize>(e) + offsetof<PairEntry>("next0") + (<usize>c << 2));
}

// @ts-ignore: decorator
@inline function setLink(e: PairEntry, c: u32, v: u32): void {
  store<u32>(changetype<usize>(e) + offsetof<PairEntry>("next0") + (<usize>c << 2), v);
}

function append(e: PairEntry, i: u32, c: u32): void {
  const slot = <usize>(c * BUCKETS + (e.hash & (BUCKETS - 1))) << 2;
  setLink(e, c, PAIR_NIL);
  const tail = load<u32>(tails + slot);
  if (tail == PAIR_NIL) store<u32>(heads + slot, i);
  else setLink(pairAt(tail), c, i);
  store<u32>(tails + slot, i);
  e.chains |= <u8>(<u32>1 << c);
}

/** Takes entry i (after prev, or at the head if prev is PAIR_NIL) out of chain c. */
function unlink(e: PairEntry, c: u32, slot: usize, prev: u32, i: u32): void {
  const next = linkOf(e, c);
  if (prev == PAIR_NIL) store<u32>(heads + slot, next);
  else setLink(pairAt(prev), c, next);
  if (next == PAIR_NIL) store<u32>(tails + slot, prev);
  e.chains &= <u8>~(<u32>1 << c);
}

/** The ring comes round to a packet still in chains: it is the oldest, so at their heads. */
function evict(e: PairEntry, i: u32): void {
  for (let c: u32 = 0; c < CHAINS; c++) {
    if ((<u32>e.chains & (<u32>1 << c)) == 0) continue;
    const slot = <usize>(c * BUCKETS + (e.hash & (BUCKETS - 1))) << 2;
    let prev = PAIR_NIL;
    let j = load<u32>(heads + slot);
    while (j != PAIR_NIL && j != i) {
      prev = j;
      j = linkOf(pairAt(j), c);
    }
    if (j == i) unlink(e, c, slot, prev, i);
  }
  e.chains = 0;
}

/** True if the packet in ring slot i still has a position a line may take (snapshots). */
export function pairOpen(i: u32): bool {
  return pairAt(i).chains != 0;
}

/**
 * Puts back a packet a snapshot wrote (its fingerprint at fp, with `host` the slot its
 * logging host has now): the next ring slot, linked in the chains it was in. The caller goes
 * from the oldest packet to the newest, so every chain keeps its order.
 */
export function pairRestoreEntry(
  fp: usize, host: u32, t: i64, flowSlot: u32, flowGen: u32, filled: u8, chains: u8, counted: u8, first: u8, inIf: u16, outIf: u16,
): void {
  const i = ringNext;
  ringNext = (ringNext + 1) & (RING - 1);
  const e = pairAt(i);
  if (e.chains != 0) evict(e, i);
  memory.copy(changetype<usize>(e), fp, 48);
  e.host = <u16>host;
  e.hash = hashKey48(changetype<usize>(e));
  e.timeUs = t;
  e.flowSlot = flowSlot;
  e.flowGen = flowGen;
  e.filled = filled;
  e.counted = counted;
  e.first = first;
  e.inIf = inIf;
  e.outIf = outIf;
  e.chains = 0;
  for (let c: u32 = 0; c < CHAINS; c++) if ((<u32>chains & (<u32>1 << c)) != 0) append(e, i, c);
}
