// The flow table: fixed-capacity slots in one heap.alloc region, an open-addressed index,
// and intrusive doubly-linked timer lists. Nothing is allocated after configure().
//
//   slots  ┌──────────┬──────────┬─────┬──────────┐  capacity × SLOT_SIZE bytes (Flow layout)
//          │ Flow 0   │ Flow 1   │ ... │ Flow n-1 │  free slots are chained through `next`
//          └──────────┴──────────┴─────┴──────────┘
//   index  ┌───┬───┬───┬─────────────────────────┐  u32 per bucket, power of two ≥ 2 × capacity,
//          │ 0 │ 5 │ 0 │ ...                     │  0 = empty, else slot + 1; linear probing,
//          └───┴───┴───┴─────────────────────────┘  deletion by backward shift (no tombstones)
//   lists  one list per (logging host, timer class); a flow sits in exactly one. Each list is
//          ordered by the flow's timer time (its last packet, or the moment its close
//          completed, on its host's clock), so the head is always the next to expire and the
//          sweep never scans live flows. The host of a flow is its key's observer (observers.ts).
//
import { hostOf, MAX_HOSTS } from "./observers";

// The key is canonical — endpoint A is the numerically smaller (address, port) — so both
// directions of a conversation find the same slot (the alias trick of the SEC rule set).

// @ts-ignore: decorator
@inline export const NIL: u32 = 0xffffffff;

// ── timer classes (flow-semantics.md §1.5, §5.3) ─────────────────────────────────────────────
// @ts-ignore: decorator
@inline export const TIMER_TCP_ATTEMPT: u32 = 0;
// @ts-ignore: decorator
@inline export const TIMER_TCP_HANDSHAKE: u32 = 1;
// @ts-ignore: decorator
@inline export const TIMER_TCP_ESTABLISHED: u32 = 2;
// @ts-ignore: decorator
@inline export const TIMER_CLOSING: u32 = 3;
// @ts-ignore: decorator
@inline export const TIMER_UDP: u32 = 4;
// @ts-ignore: decorator
@inline export const TIMER_ICMP: u32 = 5;
// @ts-ignore: decorator
@inline export const TIMER_OTHER: u32 = 6;
/**
 * Unanswered SYNs after a retransmission: one class per backoff level k, for a last retry gap
 * of at most 2^k seconds (engine.ts attemptClass), each with its own fixed timeout so that
 * every list stays ordered by deadline.
 */
// @ts-ignore: decorator
@inline export const TIMER_TCP_RETRY: u32 = 7;
// @ts-ignore: decorator
@inline export const RETRY_LEVELS: u32 = 7;
// @ts-ignore: decorator
@inline export const TIMER_CLASSES: u32 = 14;

// ── key flags ────────────────────────────────────────────────────────────────────────────────
// @ts-ignore: decorator
@inline export const KEY_V6: u8 = 1;
// @ts-ignore: decorator
@inline export const KEY_PORTS: u8 = 2;
// @ts-ignore: decorator
@inline export const KEY_ONE_WAY: u8 = 4;

/**
 * One conversation. Field order keeps the key in the first 40 bytes for the probe compare.
 *
 *   0  addrA (16)   16 addrB (16)   32 portA portB proto keyFlags observer   40 hash
 *   44 prev next    52 timer class, roles, TCP endpoint states, flags ...    then times,
 *   counters and the history text (HISTORY_CAP bytes).
 */
@unmanaged
export class Flow {
  addrA0: u64;
  addrA1: u64;
  addrB0: u64;
  addrB1: u64;
  portA: u16;
  portB: u16;
  proto: u8;
  keyFlags: u8;
  observer: u16;
  hash: u32;
  prev: u32;
  next: u32;
  timerClass: u8;
  /** 1 when the originator is endpoint B of the key. */
  origIsB: u8;
  origState: u8;
  respState: u8;
  origTcpFlags: u8;
  respTcpFlags: u8;
  /** ACT_* bits of every line in the flow. */
  actions: u8;
  /** FLOW_* bits. */
  flags: u8;
  icmpType: u8;
  icmpCode: u8;
  historyLen: u8;
  origPrevState: u8;
  respPrevState: u8;
  /** ICMP type of the last ICMP error that quoted a packet of this flow. */
  icmpErrType: u8;
  ingressIf: u16;
  egressIf: u16;
  rule: u16;
  /** Bitmask of history letters already written (once-per-direction rule). */
  historySeen: u32;
  lines: u32;
  /** Changes every time the slot is reused, so a remembered slot number can be checked. */
  generation: u32;
  /** ICMP code of that error. */
  icmpErrCode: u8;
  pad0: u8;
  /** ICMP errors that quoted a packet of this flow (saturates). */
  icmpErrCount: u16;
  firstUs: i64;
  lastUs: i64;
  /** Last time counted in the duration: stops advancing once the close completed (Zeek). */
  endUs: i64;
  /** Position in the timer list: last packet time, or when the close completed. */
  timerUs: i64;
  origPackets: u64;
  respPackets: u64;
  origBytes: u64;
  respBytes: u64;
  history0: u64;
  history1: u64;
  history2: u64;
}

// @ts-ignore: decorator
@inline export const HISTORY_CAP: u32 = 24;

// flags
// @ts-ignore: decorator
@inline export const FLOW_SYN_SEEN: u8 = 1;
// @ts-ignore: decorator
@inline export const FLOW_FLIPPED: u8 = 2;
// @ts-ignore: decorator
@inline export const FLOW_CLOSED: u8 = 4;
// @ts-ignore: decorator
@inline export const FLOW_ORIG_DATA: u8 = 8;
// @ts-ignore: decorator
@inline export const FLOW_RESP_DATA: u8 = 16;
// @ts-ignore: decorator
@inline export const FLOW_CONTINUED: u8 = 32;
/** The flow's rule came from an `L` line (ipmon prints @-1:-1 or an earlier rule there). */
// @ts-ignore: decorator
@inline export const FLOW_RULE_FROM_LOG: u8 = 64;

/** Bytes per slot. */
export const SLOT_SIZE: u32 = <u32>offsetof<Flow>();

let slots: usize = 0;
let index: usize = 0;
let indexMask: u32 = 0;
let capacity: u32 = 0;
let freeHead: u32 = NIL;
let used: u32 = 0;
let highWater: u32 = 0;
let generations: u32 = 0;
// heads and tails of the (host, class) lists: index host * TIMER_CLASSES + class
const listHeads: usize = memory.data(<i32>(MAX_HOSTS * TIMER_CLASSES * 4));
const listTails: usize = memory.data(<i32>(MAX_HOSTS * TIMER_CLASSES * 4));

/** Allocates a table for `cap` flows; any previous table and its flows are discarded. */
export function tableInit(cap: u32): void {
  if (slots != 0) {
    heap.free(slots);
    heap.free(index);
  }
  capacity = cap;
  probeSteps = 0;
  let buckets: u32 = 16;
  while (buckets < cap * 2) buckets <<= 1;
  indexMask = buckets - 1;
  slots = heap.alloc(<usize>cap * SLOT_SIZE);
  index = heap.alloc(<usize>buckets * 4);
  memory.fill(index, 0, <usize>buckets * 4);
  memory.fill(slots, 0, <usize>cap * SLOT_SIZE);
  for (let i: u32 = 0; i < cap; i++) flowAt(i).next = i + 1 < cap ? i + 1 : NIL;
  freeHead = cap > 0 ? 0 : NIL;
  used = 0;
  highWater = 0;
  memory.fill(listHeads, 0xff, <usize>(MAX_HOSTS * TIMER_CLASSES * 4)); // NIL
  memory.fill(listTails, 0xff, <usize>(MAX_HOSTS * TIMER_CLASSES * 4));
}

/** Index of the list of class cls of the flow's logging host. */
// @ts-ignore: decorator
@inline function listOf(f: Flow, cls: u32): usize {
  return <usize>(hostOf(f.observer) * TIMER_CLASSES + cls) << 2;
}

/** The flow in slot i. */
// @ts-ignore: decorator
@inline export function flowAt(i: u32): Flow {
  return changetype<Flow>(slots + <usize>i * SLOT_SIZE);
}

/** Slot number of a flow. */
// @ts-ignore: decorator
@inline export function slotOf(f: Flow): u32 {
  return <u32>((changetype<usize>(f) - slots) / SLOT_SIZE);
}

/** Flows currently in the table. */
export function tableUsed(): u32 {
  return used;
}

/** Most flows the table has held at once. */
export function tableHighWater(): u32 {
  return highWater;
}

/** Configured capacity. */
export function tableCapacity(): u32 {
  return capacity;
}

/** Bytes of linear memory the table uses per flow (slot plus its share of the index). */
export function bytesPerFlow(): u32 {
  return capacity == 0 ? 0 : SLOT_SIZE + ((indexMask + 1) * 4) / capacity;
}

/**
 * Buckets looked at beyond a lookup's home bucket, over the table's life: the table's health
 * under crafted input (stats `table_probe_steps`; with the keyed hash it stays near what
 * random tuples give, about half a step a lookup at the default load).
 */
let probeSteps: u64 = 0;

/** Probe steps beyond home buckets so far (see probeSteps). */
export function tableProbeSteps(): u64 {
  return probeSteps;
}

/** Finds the flow whose key equals the 40-byte key at k; null if none. */
export function tableFind(k: usize, h: u32): Flow | null {
  let b = h & indexMask;
  while (true) {
    const v = load<u32>(index + (<usize>b << 2));
    if (v == 0) return null;
    const f = flowAt(v - 1);
    if (
      f.hash == h &&
      load<u64>(changetype<usize>(f)) == load<u64>(k) &&
      load<u64>(changetype<usize>(f), 8) == load<u64>(k, 8) &&
      load<u64>(changetype<usize>(f), 16) == load<u64>(k, 16) &&
      load<u64>(changetype<usize>(f), 24) == load<u64>(k, 24) &&
      load<u64>(changetype<usize>(f), 32) == load<u64>(k, 32)
    ) {
      return f;
    }
    b = (b + 1) & indexMask;
    probeSteps++;
  }
}

/** True when no slot is free (the caller must evict first). */
export function tableFull(): bool {
  return freeHead == NIL;
}

/** Takes a free slot, copies the key and indexes it. The caller fills in the rest. */
export function tableInsert(k: usize, h: u32): Flow {
  const i = freeHead;
  const f = flowAt(i);
  freeHead = f.next;
  const base = changetype<usize>(f);
  memory.fill(base, 0, SLOT_SIZE);
  memory.copy(base, k, 40);
  f.hash = h;
  f.generation = ++generations;
  f.prev = NIL;
  f.next = NIL;
  f.timerClass = <u8>TIMER_CLASSES; // not in a list yet
  let b = h & indexMask;
  while (load<u32>(index + (<usize>b << 2)) != 0) {
    b = (b + 1) & indexMask;
    probeSteps++;
  }
  store<u32>(index + (<usize>b << 2), i + 1);
  used++;
  if (used > highWater) highWater = used;
  return f;
}

/** Removes a flow from the index and its timer list and returns its slot to the free list. */
export function tableRemove(f: Flow): void {
  const i = slotOf(f);
  listUnlink(f);
  // find the bucket that holds i, then backward-shift the cluster behind it
  let b = f.hash & indexMask;
  while (load<u32>(index + (<usize>b << 2)) != i + 1) b = (b + 1) & indexMask;
  let hole = b;
  let j = (b + 1) & indexMask;
  while (true) {
    const v = load<u32>(index + (<usize>j << 2));
    if (v == 0) break;
    const home = flowAt(v - 1).hash & indexMask;
    // move v into the hole unless its home lies cyclically in (hole, j]
    const inRange = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!inRange) {
      store<u32>(index + (<usize>hole << 2), v);
      hole = j;
    }
    j = (j + 1) & indexMask;
  }
  store<u32>(index + (<usize>hole << 2), 0);
  f.timerClass = <u8>TIMER_CLASSES;
  f.next = freeHead;
  freeHead = i;
  used--;
}

/** Puts the flow at the tail of timer list `cls` with timer time t. */
export function listAppend(f: Flow, cls: u32, t: i64): void {
  listUnlink(f);
  const i = slotOf(f);
  f.timerClass = <u8>cls;
  f.timerUs = t;
  const l = listOf(f, cls);
  const tail = load<u32>(listTails + l);
  f.prev = tail;
  f.next = NIL;
  if (tail == NIL) store<u32>(listHeads + l, i);
  else flowAt(tail).next = i;
  store<u32>(listTails + l, i);
}

function listUnlink(f: Flow): void {
  const cls = <u32>f.timerClass;
  if (cls >= TIMER_CLASSES) return;
  const l = listOf(f, cls);
  const prev = f.prev;
  const next = f.next;
  if (prev == NIL) store<u32>(listHeads + l, next);
  else flowAt(prev).next = next;
  if (next == NIL) store<u32>(listTails + l, prev);
  else flowAt(next).prev = prev;
  f.prev = NIL;
  f.next = NIL;
  f.timerClass = <u8>TIMER_CLASSES;
}

/** True if slot i holds a live flow of the given generation. */
export function slotIsLive(i: u32, generation: u32): bool {
  if (i >= capacity) return false;
  const f = flowAt(i);
  return f.generation == generation && <u32>f.timerClass < TIMER_CLASSES;
}

/** The flow of logging host `host` (a slot) that expires first in class cls, or null. */
export function listHead(cls: u32, host: u32 = 0): Flow | null {
  const i = load<u32>(listHeads + (<usize>(host * TIMER_CLASSES + cls) << 2));
  return i == NIL ? null : flowAt(i);
}
