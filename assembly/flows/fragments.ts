// Fragment tails: which datagram a port-less fragment belongs to (ipmon-format.md §4.5, §4.6).
//
// ipmon prints the first fragment of a datagram like any packet, with its ports and no marker,
// and every later fragment as `(frag ID:LEN@OFF)` without ports; it prints no IP id on the
// first. What ties a tail to its datagram is the offset: a datagram waits for the tail at the
// offset where its data so far ends (first fragment: IP length minus header; then offset plus
// length). A tail goes to the oldest datagram between the same hosts, protocol and logging
// host that waits for exactly its offset; from then on the datagram carries the tail's IP id,
// and later tails with that id follow it. So two first fragments logged in the same
// microsecond and then both tails (DNSCrypt) each get their own.
//
// A set-associative table: the set is a hash of (host, source, destination, protocol), each
// set holds WAYS datagrams, the oldest is replaced when a set is full.
//
//   frags ┌ src (16) │ dst (16) │ host u16 proto u8 flags u8 │ next offset u32 │ id u32 │
//         │ flow slot u32 │ flow generation u32 │ seq u32 │ time i64 ┘  × SETS × WAYS

import { hashKey } from "./hash";

// @ts-ignore: decorator
@inline const SETS: u32 = 1024;
// @ts-ignore: decorator
@inline export const WAYS: u32 = 8;
// @ts-ignore: decorator
@inline export const FRAG_SLOTS: u32 = SETS * WAYS;
/** Tails come microseconds after their first fragment; a datagram waits this long at most. */
// @ts-ignore: decorator
@inline export const FRAG_WINDOW_US: i64 = 2_000_000;

// flags
// @ts-ignore: decorator
@inline const F_USED: u8 = 1;
// @ts-ignore: decorator
@inline const F_ID: u8 = 2;
/**
 * Its last fragment came: it waits for nothing, but is kept (until its way is needed) for a
 * copy of that fragment, which a host not paired as a router logs again on its way out.
 */
// @ts-ignore: decorator
@inline const F_DONE: u8 = 4;

/** A datagram waiting for its next fragment. */
@unmanaged
export class Datagram {
  src0: u64;
  src1: u64;
  dst0: u64;
  dst1: u64;
  host: u16;
  proto: u8;
  flags: u8;
  /** The offset its next fragment has. */
  nextOff: u32;
  /** The IP id its tails carry, once one was seen (F_ID). */
  id: u32;
  flowSlot: u32;
  flowGen: u32;
  /** Arrival order: a full set replaces its earliest, whatever its logging hosts' clocks say. */
  seq: u32;
  /** Time of its first fragment. */
  timeUs: i64;
}

// @ts-ignore: decorator
@inline const SIZE: u32 = <u32>offsetof<Datagram>();

let frags: usize = 0;
/** Arrival counter (Datagram.seq). */
let fragSeq: u32 = 0;
const KEY: usize = memory.data(40);

/** Forgets every datagram. */
export function fragmentsInit(): void {
  if (frags != 0) memory.fill(frags, 0, <usize>FRAG_SLOTS * SIZE);
  fragSeq = 0;
}

/**
 * The datagram table, allocated when the first datagram is remembered: most logs have no
 * fragments, and its 512 KiB would be resident from configure on for nothing.
 */
function fragsReady(): void {
  if (frags != 0) return;
  frags = heap.alloc(<usize>FRAG_SLOTS * SIZE);
  memory.fill(frags, 0, <usize>FRAG_SLOTS * SIZE);
}

/** Datagram slot i (for snapshots). */
// @ts-ignore: decorator
@inline export function datagramAt(i: u32): Datagram {
  return changetype<Datagram>(frags + <usize>i * SIZE);
}

/** True if datagram slot i is waiting for a fragment. */
export function datagramWaiting(i: u32): bool {
  if (frags == 0) return false;
  return (datagramAt(i).flags & (F_USED | F_DONE)) == F_USED;
}

/** True if datagram slot i knows its tails' IP id. */
export function datagramHasId(i: u32): bool {
  return (datagramAt(i).flags & F_ID) != 0;
}

/** Puts back a datagram a snapshot wrote (`host` is the slot its logging host has now). */
export function fragmentRestore(
  src: usize, dst: usize, host: u32, proto: u32, nextOff: u32, hasId: bool, id: u32, t: i64, flowSlot: u32, flowGen: u32,
): void {
  fragmentFirst(src, dst, host, proto, nextOff, t, flowSlot, flowGen);
  if (!hasId) return;
  const base = setOf(src, dst, host, proto);
  for (let w: u32 = 0; w < WAYS; w++) {
    const d = datagramAt(base + w);
    if (same(d, src, dst, host, proto) && d.timeUs == t && d.nextOff == nextOff && (d.flags & (F_ID | F_DONE)) == 0) {
      d.id = id;
      d.flags |= F_ID;
      return;
    }
  }
}

function setOf(src: usize, dst: usize, host: u32, proto: u32): u32 {
  memory.copy(KEY, src, 16);
  memory.copy(KEY + 16, dst, 16);
  store<u64>(KEY, <u64>host | (<u64>proto << 16), 32);
  return (hashKey(KEY) & (SETS - 1)) * WAYS;
}

function same(d: Datagram, src: usize, dst: usize, host: u32, proto: u32): bool {
  return (d.flags & F_USED) != 0 && <u32>d.host == host && <u32>d.proto == proto &&
    memory.compare(changetype<usize>(d), src, 16) == 0 && memory.compare(changetype<usize>(d) + 16, dst, 16) == 0;
}

/**
 * A packet that may be the first fragment of a datagram (its data ends at `nextOff`), counted
 * in flow (slot, generation): remembered until a tail claims it or it is replaced.
 */
export function fragmentFirst(src: usize, dst: usize, host: u32, proto: u32, nextOff: u32, t: i64, flowSlot: u32, flowGen: u32): void {
  fragsReady();
  const base = setOf(src, dst, host, proto);
  // A full set replaces the datagram that came first. Not the earliest time: the logging
  // hosts sharing a set may be hours apart, and one behind would lose its fresh datagrams.
  // Done or waiting alike: one just completed may still get the copy of its last fragment.
  let pick: u32 = base;
  let oldest: u32 = 0;
  for (let w: u32 = 0; w < WAYS; w++) {
    const d = datagramAt(base + w);
    if ((d.flags & F_USED) == 0) {
      pick = base + w;
      break;
    }
    const age = fragSeq - d.seq; // wraps safely
    if (age >= oldest) {
      oldest = age;
      pick = base + w;
    }
  }
  const d = datagramAt(pick);
  memory.copy(changetype<usize>(d), src, 16);
  memory.copy(changetype<usize>(d) + 16, dst, 16);
  d.host = <u16>host;
  d.proto = <u8>proto;
  d.flags = F_USED;
  d.nextOff = nextOff;
  d.id = 0;
  d.flowSlot = flowSlot;
  d.flowGen = flowGen;
  d.seq = fragSeq++;
  d.timeUs = t;
}

/**
 * The datagram a tail at (offset, length) with IP id `id` (if hasId) belongs to: one that
 * already carries that id, else the oldest waiting for exactly that offset. The datagram then
 * waits for the next offset, or is done when no more fragments follow. Returns its slot (its
 * flow is datagramAt(slot).flowSlot/flowGen), or -1.
 */
export function fragmentTail(src: usize, dst: usize, host: u32, proto: u32, hasId: bool, id: u32, off: u32, len: u32, more: bool, t: i64): i32 {
  if (frags == 0) return -1; // no datagram remembered yet
  const base = setOf(src, dst, host, proto);
  let found: i32 = -1;
  let oldest = i64.MAX_VALUE;
  let oldestAge: u32 = 0;
  for (let w: u32 = 0; w < WAYS; w++) {
    const d = datagramAt(base + w);
    if (!same(d, src, dst, host, proto) || t - d.timeUs > FRAG_WINDOW_US || d.timeUs - t > FRAG_WINDOW_US) continue;
    if ((d.flags & F_DONE) != 0) {
      // a copy of its last fragment (same IP id, ending where it ended)
      if (hasId && (d.flags & F_ID) != 0 && d.id == id && off + len == d.nextOff) {
        found = <i32>(base + w);
        break;
      }
      continue;
    }
    if (hasId && (d.flags & F_ID) != 0) {
      if (d.id == id) {
        found = <i32>(base + w);
        break;
      }
      continue; // another datagram's tails
    }
    // the oldest; of first fragments logged in the same microsecond, the one that came first
    // (ways are reused, so their order says nothing)
    const age = fragSeq - d.seq;
    if (d.nextOff == off && (d.timeUs < oldest || (d.timeUs == oldest && age > oldestAge))) {
      oldest = d.timeUs;
      oldestAge = age;
      found = <i32>(base + w);
    }
  }
  if (found < 0) return -1;
  const d = datagramAt(<u32>found);
  if (hasId) {
    d.id = id;
    d.flags |= F_ID;
  }
  d.nextOff = off + len;
  if (!more) d.flags |= F_DONE; // the last fragment: done (its flow stays in the slot's fields)
  return found;
}
