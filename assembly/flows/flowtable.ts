// The flow table: fixed-capacity slots in pages of their own, an open-addressed index,
// intrusive doubly-linked timer lists, and IPv6 addresses out of line. Nothing is allocated
// after configure() but the IPv6 pool, which grows with the IPv6 flows a log actually has.
//
//   slots  ┌──────────┬──────────┬─────┬──────────┐  capacity × SLOT_SIZE bytes (Flow layout);
//          │ Flow 0   │ Flow 1   │ ... │ Flow n-1 │  released slots are chained through `next`,
//          └──────────┴──────────┴─────┴──────────┘  slots from `fresh` on were never touched
//   index  ┌───┬───┬───┬─────────────────────────┐  u32 per bucket, power of two ≥ 2 × capacity,
//          │ 0 │ 5 │ 0 │ ...                     │  0 = empty, else slot + 1 (low 22 bits) and the
//          └───┴───┴───┴─────────────────────────┘  distance from its home bucket (high 10 bits);
//                                                   linear probing, deletion by backward shift
//   v6     ┌───────────────────────────┬─────┐      32 bytes (both addresses) per IPv6 flow,
//          │ addrA (16) │ addrB (16)   │ ... │      numbered from 0; free entries chained
//          └───────────────────────────┴─────┘      through their first word; doubles as needed
//   lists  one list per (logging host, timer class); a flow sits in exactly one. Each list is
//          ordered by the flow's timer time (its last packet, or the moment its close
//          completed, on its host's clock), so the head is always the next to expire and the
//          sweep never scans live flows. The host of a flow is its key's observer (observers.ts).
//
// A slot is 120 bytes and the index adds 8, so an IPv4 flow costs 128 bytes and an IPv6 flow
// 160 (issue 8: at most 128 bytes per tracked flow). Most logs are mostly IPv4: a slot keeps
// the two IPv4 addresses and an IPv6 flow keeps its pool entry's number there instead.
//
import { hashKey } from "./hash";
import { hostOf, MAX_HOSTS } from "./observers";

// The key is canonical — endpoint A is the numerically smaller (address, port) — so both
// directions of a conversation find the same slot (the alias trick of the SEC rule set). Its
// full form is 40 bytes (KEY_SIZE: both addresses in 16-byte form, ports, protocol, flags,
// observer): the engine builds it per line, hashKey hashes it, snapshots store it. A slot keeps
// it in 16 bytes.

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
 * One conversation, in 120 bytes. The key's 16 bytes come first for the probe compare.
 *
 *   0 addrA addrB (IPv4, or the IPv6 pool entry)  8 portA portB proto keyFlags observer
 *  16 prev next generation lines                 32 packets (u32 each way)
 *  40 timer class, TCP endpoint states, flags, ICMP type and code, ICMP error (u8s)
 *  56 historySeen ingressIf egressIf rule         64 times (i64)   96 bytes (u64 each way)
 * 112 history: up to 16 four-bit letter codes, oldest in the low bits
 */
@unmanaged
export class Flow {
  /** IPv4 address of endpoint A in network order, or the IPv6 pool entry (KEY_V6). */
  addrA: u32;
  /** IPv4 address of endpoint B in network order (0 for IPv6). */
  addrB: u32;
  portA: u16;
  portB: u16;
  proto: u8;
  keyFlags: u8;
  observer: u16;
  prev: u32;
  next: u32;
  /** Changes every time the slot is reused, so a remembered slot number can be checked. */
  generation: u32;
  lines: u32;
  /**
   * Packets each way. A line carries at most 2^31 − 1 (packet.ts), and a sum that would pass
   * 2^32 − 1 first closes the record as continued (engine.ts countLine), so none is lost.
   */
  origPackets: u32;
  respPackets: u32;
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
  origPrevState: u8;
  respPrevState: u8;
  /** ICMP type of the last ICMP error that quoted a packet of this flow. */
  icmpErrType: u8;
  /** ICMP code of that error. */
  icmpErrCode: u8;
  /** ICMP errors that quoted a packet of this flow (saturates). */
  icmpErrCount: u16;
  /**
   * Letter codes already in the history (tcp.ts letterCode: each letter at most once per
   * direction), so the history's length is this mask's population count.
   */
  historySeen: u16;
  ingressIf: u16;
  egressIf: u16;
  rule: u16;
  firstUs: i64;
  lastUs: i64;
  /** Last time counted in the duration: stops advancing once the close completed (Zeek). */
  endUs: i64;
  /** Position in the timer list: last packet time, or when the close completed. */
  timerUs: i64;
  origBytes: u64;
  respBytes: u64;
  /** Zeek's history without the flip marker (FLOW_FLIPPED says that): tcp.ts historyText. */
  history: u64;
}

/** Letters a history can hold: eight letters, each at most once from either side. */
// @ts-ignore: decorator
@inline export const HISTORY_CAP: u32 = 16;

/** Bytes of a key in its full form (the engine's KEY, hashKey's input, snapshot records). */
// @ts-ignore: decorator
@inline export const KEY_SIZE: usize = 40;

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

/** Index entries: slot + 1 in the low bits (MAX_CAPACITY in config.ts is 2^21), then the
 * entry's distance from its home bucket, so a backward shift finds homes without hashing. */
// @ts-ignore: decorator
@inline const SLOT_BITS: u32 = 22;
// @ts-ignore: decorator
@inline const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;
/** A distance this large or more is not stored: the entry's key is hashed again when needed. */
// @ts-ignore: decorator
@inline const FAR: u32 = (1 << (32 - SLOT_BITS)) - 1;

/** Bytes per slot. */
export const SLOT_SIZE: u32 = <u32>offsetof<Flow>();

let slots: usize = 0;
let index: usize = 0;
let indexMask: u32 = 0;
let capacity: u32 = 0;
let freeHead: u32 = NIL;
/**
 * Slots below it have held a flow since tableInit; the rest were never touched. Slots are taken
 * from the free list (released ones) first, then from here, so a table's pages become resident
 * only as flows fill them: an 8 MiB table for 2,000 concurrent flows costs about 250 KiB.
 */
let fresh: u32 = 0;
let used: u32 = 0;
let highWater: u32 = 0;
let generations: u32 = 0;
// heads and tails of the (host, class) lists: index host * TIMER_CLASSES + class
const listHeads: usize = memory.data(<i32>(MAX_HOSTS * TIMER_CLASSES * 4));
const listTails: usize = memory.data(<i32>(MAX_HOSTS * TIMER_CLASSES * 4));
// the IPv6 pool (V6_ENTRY bytes an entry)
let v6Pool: usize = 0;
let v6Cap: u32 = 0;
let v6Top: u32 = 0;
let v6Free: u32 = NIL;
// @ts-ignore: decorator
@inline const V6_ENTRY: usize = 32;
// @ts-ignore: decorator
@inline const V6_FIRST_CAP: u32 = 64;
/** Bytes 8-11 of an IPv4-mapped address (parse/ipaddr.ts: ::ffff:a.b.c.d), as a little-endian word. */
// @ts-ignore: decorator
@inline const IPV4_MAPPED: u64 = 0xffff0000;
/** An IPv4 address in the 16-byte form (parse/ipaddr.ts: IPv4-mapped), one per endpoint. */
const addrScratch: usize = memory.data(32);
/** A stored flow's key in full form, for re-hashing it (tableRemove). */
const keyScratch: usize = memory.data(<i32>KEY_SIZE);

// The table's own pages, from memory.grow rather than the allocator: TLSF rounds a large request
// up to its next size class (up to 1/16 more) and grows memory by at least its current size, so
// a table from heap.alloc cost 136 to 265 bytes of linear memory a flow instead of 128.
let region: usize = 0;
let regionBytes: usize = 0;

/**
 * `bytes` of memory for a table: the previous table's pages when they are enough, else new pages
 * at the end of memory (a larger capacity configured later leaves the old pages unused).
 */
function tableRegion(bytes: usize): usize {
  if (bytes <= regionBytes) return region;
  const pages = <i32>((bytes + 0xffff) >>> 16);
  const before = memory.grow(pages);
  if (before < 0) unreachable(); // past the maximum memory: as a failed allocation would
  region = <usize>before << 16;
  regionBytes = <usize>pages << 16;
  return region;
}

/** Sets up a table for `cap` flows; any previous table and its flows are discarded. */
export function tableInit(cap: u32): void {
  if (v6Pool != 0) heap.free(v6Pool);
  v6Pool = 0;
  v6Cap = 0;
  v6Top = 0;
  v6Free = NIL;
  capacity = cap;
  probeSteps = 0;
  let buckets: u32 = 16;
  while (buckets < cap * 2) buckets <<= 1;
  indexMask = buckets - 1;
  slots = tableRegion(<usize>cap * SLOT_SIZE + <usize>buckets * 4);
  index = slots + <usize>cap * SLOT_SIZE;
  // the index must read empty (0); slots are zeroed as they are taken (tableInsert)
  memory.fill(index, 0, <usize>buckets * 4);
  freeHead = NIL;
  fresh = 0;
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

/** Finds the flow whose key equals the full key at k (hashing to h); null if none. */
export function tableFind(k: usize, h: u32): Flow | null {
  // the slot's second word is the key's last 8 bytes as they are (ports to observer)
  const tail = load<u64>(k, 32);
  const v6 = (load<u8>(k, 37) & KEY_V6) != 0;
  const v4 = <u64>load<u32>(k, 12) | (<u64>load<u32>(k, 28) << 32);
  let b = h & indexMask;
  while (true) {
    const v = load<u32>(index + (<usize>b << 2));
    if (v == 0) return null;
    const f = flowAt((v & SLOT_MASK) - 1);
    const p = changetype<usize>(f);
    if (load<u64>(p, 8) == tail && (v6 ? v6Equal(f.addrA, k) : load<u64>(p) == v4)) return f;
    b = (b + 1) & indexMask;
    probeSteps++;
  }
}

/** True when no slot is free (the caller must evict first). */
export function tableFull(): bool {
  return freeHead == NIL && fresh >= capacity;
}

/** Takes a free slot, stores the full key at k (hashing to h) and indexes it. The caller fills in the rest. */
export function tableInsert(k: usize, h: u32): Flow {
  let i = freeHead;
  if (i != NIL) freeHead = flowAt(i).next;
  else i = fresh++;
  const f = flowAt(i);
  const base = changetype<usize>(f);
  for (let o: usize = 0; o < <usize>SLOT_SIZE; o += 8) store<u64>(base + o, 0); // no memory.fill call out
  if ((load<u8>(k, 37) & KEY_V6) != 0) {
    const e = v6Take();
    const p = v6Pool + <usize>e * V6_ENTRY;
    store<u64>(p, load<u64>(k));
    store<u64>(p, load<u64>(k, 8), 8);
    store<u64>(p, load<u64>(k, 16), 16);
    store<u64>(p, load<u64>(k, 24), 24);
    f.addrA = e;
  } else {
    f.addrA = load<u32>(k, 12);
    f.addrB = load<u32>(k, 28);
  }
  store<u64>(base, load<u64>(k, 32), 8);
  f.generation = ++generations;
  f.prev = NIL;
  f.next = NIL;
  f.timerClass = <u8>TIMER_CLASSES; // not in a list yet
  let b = h & indexMask;
  let distance: u32 = 0;
  while (load<u32>(index + (<usize>b << 2)) != 0) {
    b = (b + 1) & indexMask;
    distance++;
  }
  probeSteps += distance;
  store<u32>(index + (<usize>b << 2), (i + 1) | (min(distance, FAR) << SLOT_BITS));
  used++;
  if (used > highWater) highWater = used;
  return f;
}

/** Removes a flow from the index and its timer list and returns its slot to the free list. */
export function tableRemove(f: Flow): void {
  const i = slotOf(f);
  listUnlink(f);
  // find the bucket that holds i, then backward-shift the cluster behind it; a slot keeps no
  // hash (it would cost 4 of its 120 bytes), so its own key is hashed again
  let b = homeOf(f);
  while ((load<u32>(index + (<usize>b << 2)) & SLOT_MASK) != i + 1) b = (b + 1) & indexMask;
  let hole = b;
  let j = (b + 1) & indexMask;
  while (true) {
    const v = load<u32>(index + (<usize>j << 2));
    if (v == 0) break;
    const distance = v >>> SLOT_BITS;
    const home = distance < FAR ? (j - distance) & indexMask : homeOf(flowAt((v & SLOT_MASK) - 1));
    // move v into the hole unless its home lies cyclically in (hole, j]
    const inRange = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!inRange) {
      store<u32>(index + (<usize>hole << 2), (v & SLOT_MASK) | (min((hole - home) & indexMask, FAR) << SLOT_BITS));
      hole = j;
    }
    j = (j + 1) & indexMask;
  }
  store<u32>(index + (<usize>hole << 2), 0);
  if ((f.keyFlags & KEY_V6) != 0) v6Give(f.addrA);
  f.timerClass = <u8>TIMER_CLASSES;
  f.next = freeHead;
  freeHead = i;
  used--;
}

/** The index bucket a stored flow's key hashes to. */
function homeOf(f: Flow): u32 {
  flowKey(f, keyScratch);
  return hashKey(keyScratch) & indexMask;
}

/** Writes the flow's key in full form (KEY_SIZE bytes) at dst. */
export function flowKey(f: Flow, dst: usize): void {
  // word by word: memory.copy is a call out of the module under V8, dear on this path
  const p = changetype<usize>(f);
  if ((f.keyFlags & KEY_V6) != 0) {
    const e = v6Pool + <usize>f.addrA * V6_ENTRY;
    store<u64>(dst, load<u64>(e));
    store<u64>(dst, load<u64>(e, 8), 8);
    store<u64>(dst, load<u64>(e, 16), 16);
    store<u64>(dst, load<u64>(e, 24), 24);
  } else {
    store<u64>(dst, 0);
    store<u64>(dst, IPV4_MAPPED | (<u64>f.addrA << 32), 8);
    store<u64>(dst, 0, 16);
    store<u64>(dst, IPV4_MAPPED | (<u64>f.addrB << 32), 24);
  }
  store<u64>(dst, load<u64>(p, 8), 32);
}

/**
 * The 16-byte address of endpoint A, or B when `b`: in the IPv6 pool, or for IPv4 in a scratch
 * area of its own endpoint, valid until the next call for that endpoint or the next insert.
 */
export function flowAddr(f: Flow, b: bool): usize {
  if ((f.keyFlags & KEY_V6) != 0) return v6Pool + <usize>f.addrA * V6_ENTRY + (b ? 16 : 0);
  const p = addrScratch + (b ? 16 : 0);
  store<u64>(p, 0);
  store<u64>(p, IPV4_MAPPED | (<u64>(b ? f.addrB : f.addrA) << 32), 8);
  return p;
}

/** The originator's 16-byte address (flowAddr's form and lifetime). */
// @ts-ignore: decorator
@inline export function originatorAddr(f: Flow): usize {
  return flowAddr(f, f.origIsB != 0);
}

/** The responder's 16-byte address (flowAddr's form and lifetime). */
// @ts-ignore: decorator
@inline export function responderAddr(f: Flow): usize {
  return flowAddr(f, f.origIsB == 0);
}

/** The originator's port (0 without ports; for ICMP the key's type). */
// @ts-ignore: decorator
@inline export function originatorPort(f: Flow): u32 {
  return f.origIsB ? <u32>f.portB : <u32>f.portA;
}

/** The responder's port (0 without ports; for ICMP the key's counterpart type or code). */
// @ts-ignore: decorator
@inline export function responderPort(f: Flow): u32 {
  return f.origIsB ? <u32>f.portA : <u32>f.portB;
}

/** True if IPv6 pool entry e holds the two addresses at the start of the full key at k. */
function v6Equal(e: u32, k: usize): bool {
  const p = v6Pool + <usize>e * V6_ENTRY;
  return load<u64>(p) == load<u64>(k) && load<u64>(p, 8) == load<u64>(k, 8) &&
    load<u64>(p, 16) == load<u64>(k, 16) && load<u64>(p, 24) == load<u64>(k, 24);
}

/** A free IPv6 pool entry; the pool doubles when none is left (at most one per slot). */
function v6Take(): u32 {
  if (v6Free != NIL) {
    const e = v6Free;
    v6Free = load<u32>(v6Pool + <usize>e * V6_ENTRY);
    return e;
  }
  if (v6Top == v6Cap) {
    let grown = v6Cap == 0 ? V6_FIRST_CAP : v6Cap << 1;
    if (grown > capacity) grown = capacity;
    v6Pool = v6Pool == 0 ? heap.alloc(<usize>grown * V6_ENTRY) : heap.realloc(v6Pool, <usize>grown * V6_ENTRY);
    v6Cap = grown;
  }
  return v6Top++;
}

function v6Give(e: u32): void {
  store<u32>(v6Pool + <usize>e * V6_ENTRY, v6Free);
  v6Free = e;
}

/** Bytes the IPv6 pool holds (it grows with the IPv6 flows a log has). */
export function tableV6Bytes(): usize {
  return <usize>v6Cap * V6_ENTRY;
}

/** Bytes of linear memory the table holds: slots, index and IPv6 pool (stats `table_bytes`). */
export function tableBytes(): usize {
  return <usize>capacity * SLOT_SIZE + (<usize>(indexMask + 1) << 2) + tableV6Bytes();
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

/**
 * Rebuilds every timer list's `prev` links from its `next` links (a snapshot borrows `prev`
 * while it is written: snapshot.ts).
 */
export function tableRelink(): void {
  for (let l: usize = 0; l < <usize>(MAX_HOSTS * TIMER_CLASSES); l++) {
    let prev = NIL;
    let i = load<u32>(listHeads + (l << 2));
    while (i != NIL) {
      const f = flowAt(i);
      f.prev = prev;
      prev = i;
      i = f.next;
    }
  }
}

/** True if slot i holds a live flow of the given generation. */
export function slotIsLive(i: u32, generation: u32): bool {
  if (i >= fresh) return false; // never taken: its bytes are whatever an earlier table left there
  const f = flowAt(i);
  return f.generation == generation && <u32>f.timerClass < TIMER_CLASSES;
}

/** The flow of logging host `host` (a slot) that expires first in class cls, or null. */
export function listHead(cls: u32, host: u32 = 0): Flow | null {
  const i = load<u32>(listHeads + (<usize>(host * TIMER_CLASSES + cls) << 2));
  return i == NIL ? null : flowAt(i);
}
