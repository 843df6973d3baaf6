// Scans and sweeps: one source's failed attempts, counted per target, turned into episodes.
//
// Zeek's policy/misc/scan.zeek is the model: a port scan is one source failing on
// port_scan_threshold distinct ports of one host, an address scan is one source failing on
// address_scan_threshold distinct hosts on one port, both within scan_interval (defaults 15,
// 25 and 300 s). Attempts are judged when their flow is reported (engine.ts emit), from its
// outcome: blocked, rejected (RST to the SYN, or an ICMP error quoting it), unanswered, or
// answered. Only failed attempts open a candidate and count towards a threshold, so a busy
// client whose connections are answered is never a scanner; answered ones are still counted
// on a candidate that exists, so the record says how many got through.
//
// Every failed attempt notes two candidates: (source, host) for a port scan and
// (source, protocol, port) for an address scan. A candidate whose window passes below the
// threshold starts a new window (Zeek's epochs); one that reaches it becomes an episode,
// reported at once and once more when the source has been quiet for scan_interval.
//
//   slots    ┌──────────┬──────────┬─────┐  SCAN_SLOTS × HEADER_SIZE; free slots chained
//            │ Scan 0   │ Scan 1   │ ... │  through `chain`
//            └──────────┴──────────┴─────┘
//   details  ┌──────────┬──────────┬─────┐  SCAN_SLOTS × DETAIL_SIZE, slot by slot: targets
//            │ detail 0 │ detail 1 │ ... │  after the first, the bitmap, samples after the
//            └──────────┴──────────┴─────┘  first; touched only by a second target
//   buckets  u32 per bucket (slot + 1, 0 = empty), chained through Scan.chain; keyed hash
//            (hash.ts), so crafted sources cannot pile into one chain
//   lists    one per logging host, in order of last note: the head is the first to expire
//            and, when every slot is taken, the oldest few are where the one to evict is
//            chosen (the one with the fewest targets: see evictOne)
//
// Nothing is allocated after scansInit; the state is fixed at about 1.4 MB, of which a flood of
// one-shot sources touches the headers' 0.3 MB.

import { hashKey } from "./hash";
import { MAX_HOSTS } from "./observers";

// @ts-ignore: decorator
@inline export const SCAN_SLOTS: u32 = 2048;
// @ts-ignore: decorator
@inline const SCAN_BUCKETS: u32 = 4096;
// @ts-ignore: decorator
@inline const SCAN_NIL: u32 = 0xffffffff;
/** Distinct targets counted exactly; thresholds may not exceed it (config.ts). */
// @ts-ignore: decorator
@inline export const EXACT_CAP: u32 = 64;
/** Bits of the linear-counting bitmap that estimates distinct targets beyond EXACT_CAP (2^10). */
// @ts-ignore: decorator
@inline const BITMAP_BITS: u32 = 1024;
/** Least recently seen candidates looked at for the one to evict. */
// @ts-ignore: decorator
@inline const EVICT_SAMPLE: u32 = 8;
/** Targets kept as a sample for the record. */
// @ts-ignore: decorator
@inline export const SAMPLE_CAP: u32 = 10;

// kinds
// @ts-ignore: decorator
@inline export const SCAN_PORT: u8 = 1;
// @ts-ignore: decorator
@inline export const SCAN_ADDRESS: u8 = 2;

// outcomes of an attempt
// @ts-ignore: decorator
@inline export const OUTCOME_BLOCKED: u8 = 0;
// @ts-ignore: decorator
@inline export const OUTCOME_REJECTED: u8 = 1;
// @ts-ignore: decorator
@inline export const OUTCOME_UNANSWERED: u8 = 2;
// @ts-ignore: decorator
@inline export const OUTCOME_ANSWERED: u8 = 3;

// protocol bits (Scan.protocols)
// @ts-ignore: decorator
@inline export const SCAN_TCP: u8 = 1;
// @ts-ignore: decorator
@inline export const SCAN_UDP: u8 = 2;
// @ts-ignore: decorator
@inline export const SCAN_ICMP: u8 = 4;

// Scan.flags
// @ts-ignore: decorator
@inline export const SCAN_REPORTED: u8 = 1;
// @ts-ignore: decorator
@inline export const SCAN_OVERFLOW: u8 = 2;
// @ts-ignore: decorator
@inline export const SCAN_V6: u8 = 4;
/**
 * Opened within scan_interval of an eviction of a candidate on its host: earlier attempts of
 * the source may have been forgotten, so its count is a lower bound, not exact.
 */
// @ts-ignore: decorator
@inline export const SCAN_PARTIAL: u8 = 16;
/** The address scan is on a port (TCP, UDP); ICMP echo sweeps have none. */
// @ts-ignore: decorator
@inline export const SCAN_HAS_PORT: u8 = 8;

/**
 * One candidate or episode. The key is the first 40 bytes, laid out for hashKey:
 *
 *   0 source (16)   16 host (16; zero for an address scan)   32 port proto kind observer pad
 *   40 hash  44 prev  48 next  52 chain  56 host slot  58 flags protocols  60 exact count
 *   62 sample count  64 window start  72 first  80 last  88 noted  96 counts (5 × u32)
 *  116 first target  120 first sample (16); the rest of a window's targets are in its detail.
 */
@unmanaged
export class Scan {
  src0: u64;
  src1: u64;
  host0: u64;
  host1: u64;
  /** Destination port of an address scan (0 for a port scan or an ICMP sweep). */
  port: u16;
  /** IP protocol of an address scan (0 for a port scan, which may mix them). */
  proto: u8;
  kind: u8;
  /** Logging host's name id (intern.ts), as in Flow. */
  observer: u16;
  keyPad: u16;
  hash: u32;
  prev: u32;
  next: u32;
  chain: u32;
  /** observers.ts slot of the logging host: its list, and its clock for expiry. */
  hostSlot: u16;
  flags: u8;
  protocols: u8;
  /** Distinct targets in `exact` (saturates at EXACT_CAP, then SCAN_OVERFLOW is set). */
  exactCount: u16;
  sampleCount: u16;
  /** Start of the current counting window (attempt time). */
  windowUs: i64;
  /** First and last attempt time of the window or episode. */
  firstUs: i64;
  lastUs: i64;
  /** Event time of the last packet of the latest attempt: the episode ends scan_interval after it. */
  notedUs: i64;
  attempts: u32;
  blocked: u32;
  rejected: u32;
  unanswered: u32;
  answered: u32;
  /** The window's first distinct target (the rest are in the slot's detail). */
  firstTarget: u32;
  /** Its sample (16 bytes: an address, or a port in the first two). */
  firstSample0: u64;
  firstSample1: u64;
}

// Beside each header, in an array of its own: the window's further targets, the bitmap and
// further samples. A source that tries one target (a flood's spoofed SYNs, most candidates)
// never touches its detail, so the detail array stays out of the resident set.
// @ts-ignore: decorator
@inline const HEADER_SIZE: usize = offsetof<Scan>();
// @ts-ignore: decorator
@inline const EXACT_AT: usize = 0; // targets 1 .. EXACT_CAP-1
// @ts-ignore: decorator
@inline const BITMAP_AT: usize = EXACT_AT + (EXACT_CAP - 1) * 4; // built at the first overflow
// @ts-ignore: decorator
@inline const SAMPLE_AT: usize = BITMAP_AT + BITMAP_BITS / 8; // samples 1 .. SAMPLE_CAP-1
// @ts-ignore: decorator
@inline const DETAIL_SIZE: usize = SAMPLE_AT + (SAMPLE_CAP - 1) * 16;
// @ts-ignore: decorator
@inline const LIST_SIZE: usize = <usize>MAX_HOSTS * 8;

let slots: usize = 0;
/** The details, DETAIL_SIZE bytes a slot, never cleared: counts say what is valid. */
let details: usize = 0;
let buckets: usize = 0;
/** Per host: head and tail slot of its list (u32 each). */
let lists: usize = 0;
/** Per host: its clock when it last had a candidate evicted (i64), i64.MIN_VALUE if never. */
let evictedAt: usize = 0;
let freeHead: u32 = SCAN_NIL;
let used: u32 = 0;
/** Where the search for another host's slot to evict starts (round robin). */
let evictCursor: u32 = 0;

/** Candidates dropped below their threshold to make room (a flood of sources). */
export let candidatesEvicted: u64 = 0;

/** Allocates the state once, then forgets every candidate and episode. */
export function scansInit(): void {
  if (slots == 0) {
    slots = heap.alloc(<usize>SCAN_SLOTS * HEADER_SIZE);
    details = heap.alloc(<usize>SCAN_SLOTS * DETAIL_SIZE);
    buckets = heap.alloc(<usize>SCAN_BUCKETS * 4);
    lists = heap.alloc(LIST_SIZE);
    evictedAt = heap.alloc(<usize>MAX_HOSTS * 8);
  }
  for (let h: u32 = 0; h < MAX_HOSTS; h++) store<i64>(evictedAt + (<usize>h << 3), i64.MIN_VALUE);
  memory.fill(buckets, 0, <usize>SCAN_BUCKETS * 4);
  memory.fill(lists, 0xff, LIST_SIZE);
  for (let i: u32 = 0; i < SCAN_SLOTS; i++) scanAt(i).chain = i + 1 < SCAN_SLOTS ? i + 1 : SCAN_NIL;
  freeHead = 0;
  used = 0;
  evictCursor = 0;
  candidatesEvicted = 0;
}

/** The candidate or episode in slot i. */
// @ts-ignore: decorator
@inline export function scanAt(i: u32): Scan {
  return changetype<Scan>(slots + <usize>i * HEADER_SIZE);
}

/** Candidates and episodes tracked now. */
export function scansUsed(): u32 {
  return used;
}

/** Where slot s's detail lies. */
// @ts-ignore: decorator
@inline function detailOf(s: Scan): usize {
  return details + (changetype<usize>(s) - slots) / HEADER_SIZE * DETAIL_SIZE;
}

/** The i-th distinct target counted exactly. */
export function exactTarget(s: Scan, i: u32): u32 {
  return i == 0 ? s.firstTarget : load<u32>(detailOf(s) + EXACT_AT + (<usize>(i - 1) << 2));
}

/** Address of the i-th sampled target (16 bytes: an address, or a port in the first two). */
export function sampleAt(s: Scan, i: u32): usize {
  return i == 0 ? changetype<usize>(s) + offsetof<Scan>("firstSample0") : detailOf(s) + SAMPLE_AT + (<usize>(i - 1) << 4);
}

/**
 * Distinct targets: exact while at most EXACT_CAP were seen, else a linear-counting estimate
 * over the bitmap (Whang et al. 1990: n ≈ −m·ln(zero bits / m)), never below EXACT_CAP.
 */
export function distinctTargets(s: Scan): u32 {
  if ((s.flags & SCAN_OVERFLOW) == 0) return <u32>s.exactCount;
  const base = detailOf(s) + BITMAP_AT;
  let ones: u32 = 0;
  for (let i: usize = 0; i < <usize>BITMAP_BITS / 64; i++) ones += <u32>popcnt<u64>(load<u64>(base + (i << 3)));
  const m = <f64>BITMAP_BITS;
  const zeros = <f64>(BITMAP_BITS - ones);
  const estimate = zeros == 0 ? m * Math.log(m) : -m * Math.log(zeros / m);
  const n = <u32>Math.round(estimate);
  return n > EXACT_CAP ? n : EXACT_CAP;
}

// ── lookup ───────────────────────────────────────────────────────────────────────────────────

/** Scratch key (40 bytes, Scan's head) for lookups. */
export const SCAN_KEY: usize = memory.data(40);

/** Finds the candidate whose key is at SCAN_KEY; null if none. */
export function scanFind(h: u32): Scan | null {
  let i = load<u32>(buckets + ((<usize>h & (SCAN_BUCKETS - 1)) << 2));
  while (i != 0) {
    const s = scanAt(i - 1);
    if (s.hash == h && memory.compare(changetype<usize>(s), SCAN_KEY, 40) == 0) return s;
    i = s.chain;
  }
  return null;
}

/** The keyed hash of the key at SCAN_KEY. */
export function scanKeyHash(): u32 {
  return hashKey(SCAN_KEY);
}

/**
 * A new candidate for the key at SCAN_KEY, on host hs's list. When every slot is taken the
 * least recently seen candidate of the same host goes (another host's when it has none);
 * an episode among them is handed to `ended` first so its final record is written.
 */
export function scanInsert(h: u32, hs: u32, now: i64, window: i64, ended: (s: Scan) => void): Scan {
  if (freeHead == SCAN_NIL) evictOne(hs, now, ended);
  const i = freeHead;
  const s = scanAt(i);
  freeHead = s.chain;
  used++;
  const p = changetype<usize>(s);
  memory.copy(p, SCAN_KEY, 40);
  memory.fill(p + 40, 0, HEADER_SIZE - 40); // the detail is valid by the counts alone
  s.hash = h;
  s.hostSlot = <u16>hs;
  const b = buckets + ((<usize>h & (SCAN_BUCKETS - 1)) << 2);
  s.chain = load<u32>(b);
  store<u32>(b, i + 1);
  s.prev = s.next = SCAN_NIL;
  append(s, i);
  const lastEviction = load<i64>(evictedAt + (<usize>hs << 3));
  if (lastEviction != i64.MIN_VALUE && now - lastEviction <= window) s.flags |= SCAN_PARTIAL;
  return s;
}

/**
 * Frees a slot. Of the EVICT_SAMPLE least recently seen candidates the one with the fewest
 * targets goes (episodes last): under a flood of spoofed one-shot sources a slow scanner with
 * a few targets keeps its candidate, where plain least-recently-seen would lose it.
 */
function evictOne(hs: u32, now: i64, ended: (s: Scan) => void): void {
  let oldest = listHead(hs);
  for (let k: u32 = 0; oldest == SCAN_NIL && k < MAX_HOSTS; k++) {
    evictCursor = evictCursor + 1 < MAX_HOSTS ? evictCursor + 1 : 0;
    oldest = listHead(evictCursor);
  }
  let victim = oldest;
  let least: u32 = u32.MAX_VALUE;
  let i = oldest;
  for (let k: u32 = 0; k < EVICT_SAMPLE && i != SCAN_NIL; k++) {
    const c = scanAt(i);
    const weight = (c.flags & SCAN_REPORTED) ? <u32>0xffff0000 + <u32>c.exactCount : <u32>c.exactCount;
    if (weight < least) {
      least = weight;
      victim = i;
    }
    i = c.next;
  }
  const s = scanAt(victim);
  if (s.flags & SCAN_REPORTED) ended(s);
  else {
    candidatesEvicted++;
    // on the evicted candidate's host, by the clock of the host that needed the slot: the
    // same host under a flood, which is the case that matters
    store<i64>(evictedAt + (<usize>s.hostSlot << 3), now);
  }
  scanRemove(s);
}

/** Forgets a candidate or episode. */
export function scanRemove(s: Scan): void {
  const i = slotOf(s);
  unlink(s, i);
  const b = buckets + ((<usize>s.hash & (SCAN_BUCKETS - 1)) << 2);
  let at = b;
  let j = load<u32>(b);
  while (j != 0 && j - 1 != i) {
    at = changetype<usize>(scanAt(j - 1)) + offsetof<Scan>("chain");
    j = load<u32>(at);
  }
  store<u32>(at, s.chain);
  s.chain = freeHead;
  freeHead = i;
  used--;
}

// ── per-host lists ───────────────────────────────────────────────────────────────────────────

/** The first slot of host hs's list (least recently noted), SCAN_NIL if empty. */
// @ts-ignore: decorator
@inline export function listHead(hs: u32): u32 {
  return load<u32>(lists + (<usize>hs << 3));
}

/** Moves a candidate to the end of its host's list (just noted). */
export function scanTouch(s: Scan): void {
  const i = slotOf(s);
  if (s.next == SCAN_NIL) return;
  unlink(s, i);
  append(s, i);
}

/** Slot of the scan after s in its host's list, SCAN_NIL at the end. */
// @ts-ignore: decorator
@inline export function nextInList(s: Scan): u32 {
  return s.next;
}

function append(s: Scan, i: u32): void {
  const l = lists + (<usize>s.hostSlot << 3);
  const tail = load<u32>(l, 4);
  s.prev = tail;
  s.next = SCAN_NIL;
  if (tail == SCAN_NIL) store<u32>(l, i);
  else scanAt(tail).next = i;
  store<u32>(l, i, 4);
}

function unlink(s: Scan, i: u32): void {
  const l = lists + (<usize>s.hostSlot << 3);
  if (s.prev == SCAN_NIL) store<u32>(l, s.next);
  else scanAt(s.prev).next = s.next;
  if (s.next == SCAN_NIL) store<u32>(l, s.prev, 4);
  else scanAt(s.next).prev = s.prev;
  s.prev = s.next = SCAN_NIL;
}

// @ts-ignore: decorator
@inline function slotOf(s: Scan): u32 {
  return <u32>((changetype<usize>(s) - slots) / HEADER_SIZE);
}

// ── counting ─────────────────────────────────────────────────────────────────────────────────

/**
 * Counts target `value` (a port with its protocol, an IPv4 address, or an IPv6 address's
 * keyed hash) once; `sample` (16 bytes) is kept while the sample has room. Returns true when
 * the target is new to the window.
 */
export function addTarget(s: Scan, value: u32, sample: usize): bool {
  const n = <u32>s.exactCount;
  for (let i: u32 = 0; i < n; i++) if (exactTarget(s, i) == value) return false;
  if (n == EXACT_CAP) {
    // beyond the exact set: new as far as the window can tell; the bitmap counts it (built
    // from the exact set at the first overflow, so a window that never overflows leaves it)
    if ((s.flags & SCAN_OVERFLOW) == 0) {
      memory.fill(detailOf(s) + BITMAP_AT, 0, BITMAP_BITS / 8);
      for (let i: u32 = 0; i < n; i++) markTarget(s, exactTarget(s, i));
      s.flags |= SCAN_OVERFLOW;
    }
    markTarget(s, value);
    return true;
  }
  if (n == 0) s.firstTarget = value;
  else store<u32>(detailOf(s) + EXACT_AT + (<usize>(n - 1) << 2), value);
  s.exactCount = <u16>(n + 1);
  if (<u32>s.sampleCount < SAMPLE_CAP) {
    memory.copy(sampleAt(s, s.sampleCount), sample, 16);
    s.sampleCount++;
  }
  return true;
}

/** Sets a target's bit in the linear-counting bitmap. */
function markTarget(s: Scan, value: u32): void {
  // murmur3's finaliser picks the bit: linear counting needs targets spread like random ones,
  // and runs of ports or addresses are anything but (a plain multiplicative hash spreads a run
  // too evenly and the estimate overshoots by a quarter)
  let m = value ^ (value >>> 16);
  m *= 0x85ebca6b;
  m ^= m >>> 13;
  m *= 0xc2b2ae35;
  m ^= m >>> 16;
  const bit = m >>> (32 - 10);
  const word = detailOf(s) + BITMAP_AT + (<usize>(bit >>> 6) << 3);
  store<u64>(word, load<u64>(word) | (<u64>1 << <u64>(bit & 63)));
}

/** Starts a new counting window at t: targets and counts of the old one are forgotten. */
export function restartWindow(s: Scan, t: i64): void {
  s.exactCount = 0;
  s.sampleCount = 0;
  s.flags &= ~SCAN_OVERFLOW; // SCAN_PARTIAL stays: what was forgotten before stays forgotten
  s.protocols = 0;
  s.windowUs = t;
  s.firstUs = t;
  s.lastUs = t;
  s.attempts = s.blocked = s.rejected = s.unanswered = s.answered = 0;
}
