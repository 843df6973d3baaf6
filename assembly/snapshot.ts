// Engine state as one versioned binary blob, so a host can checkpoint and resume without
// losing a flow or counting a line twice (the host stores the input position beside it).
//
//   0  "IPMFSNAP"                magic
//   8  u32 version               SNAPSHOT_VERSION
//  12  u32 flow record size      FLOW_RECORD (version 4) or 176 (version 3, still read)
//  16  u32 counters size
//  20  u32 name count            names[1..n-1] follow (id 0 is the empty name)
//  24  u32 flow count
//  28  u32 host count            logging hosts (observers.ts slots), slot 0 first
//  32  i64 stream clock
//  40  the packet hash key (16 bytes, flows/hash.ts): a restarted process keeps it
//  56  date context (DATE_CONTEXT_SIZE bytes)
//  ..  counters block
//  ..  names: u16 length + bytes, in id order; a name nothing open uses is written empty, so
//      a restart leaves behind the names of flows that ended (the pool never frees any)
//  ..  hosts with open flows or judged routers: HOST_RECORD
//      bytes each (name id, first interface, judged, reference, line time, pending jump,
//      offset); device and local networks come from the configuration
//  ..  flows: FLOW_RECORD bytes each, host by host, timer class by timer class, each list in
//      order: the key in full form (KEY_SIZE), then the slot from `lines` on as it is (name
//      ids mapped on restore). Version 3 blobs (176-byte slots of builds before the 120-byte
//      slot) are read through snapshot3.ts.
//  ..  u32 count, then PAIR_RECORD bytes per packet whose lines may still come (pairing.ts),
//      oldest first: fingerprint (host as a name id), time, flow (its ordinal in the blob),
//      positions, waits, interfaces (name ids)
//  ..  u32 count, then DATAGRAM_RECORD bytes per datagram waiting for a fragment (fragments.ts)
//  ..  u32 FNV-1a checksum of everything before it
//
// Names are stored as text and re-interned on restore: ids are per process, text is not.

import * as config from "./config";
import {
  clockReference, counters, Counters, engineClock, ensureEngine, evictOldest, hostClock, hostSlot, pairKeyHash, pairKeySrcIsA, restoreClock,
} from "./engine";
import {
  Flow, KEY_SIZE, SLOT_SIZE, TIMER_CLASSES, flowAt, flowKey, listAppend, listHead, tableFind, tableFull, tableInsert, tableRelink, tableUsed,
  NIL,
} from "./flows/flowtable";
import { FLOW_RECORD_V3, flowFromV3 } from "./snapshot3";
import { hashKey, packetKeyPtr } from "./flows/hash";
import { FNV_OFFSET, hashBytes, hashBytesFrom, intern, nameCount, nameLen, namePtr } from "./flows/intern";
import { NO_HOST, observerAt, observersUsed } from "./flows/observers";
import { PAIR_NIL, RING, pairAt, pairOpen, pairRestoreEntry, pairRingNext } from "./flows/pairing";
import { FRAG_SLOTS, datagramAt, datagramHasId, datagramWaiting, fragmentRestore } from "./flows/fragments";
import { slotIsLive, slotOf } from "./flows/flowtable";
import { DATE_CONTEXT_SIZE, dateContextLoad, dateContextSave } from "./parse/line";
import { commit, putAscii, reserve, outLen, outPtr } from "./records/output";

// @ts-ignore: decorator
@inline const SNAPSHOT_VERSION: u32 = 4;
/** Where a slot's stored part starts: everything before it is key, links or the generation. */
// @ts-ignore: decorator
@inline const SLOT_KEPT_FROM: usize = offsetof<Flow>("lines");
/** Bytes of one flow in a version 4 blob. */
// @ts-ignore: decorator
@inline export const FLOW_RECORD: usize = KEY_SIZE + <usize>SLOT_SIZE - SLOT_KEPT_FROM;
// @ts-ignore: decorator
@inline const HEADER_SIZE: usize = 56;
// @ts-ignore: decorator
@inline const HOST_RECORD: usize = 32;
// @ts-ignore: decorator
@inline const PAIR_RECORD: usize = 72;
// @ts-ignore: decorator
@inline const DATAGRAM_RECORD: usize = 64;

let restoreError: string = "";

/** Why the last restore failed, "" if it did not. */
export function snapshotError(): string {
  return restoreError;
}

/** Appends the whole snapshot blob to the output buffer. */
export function writeSnapshot(): void {
  snapshotCancel();
  while (!writeSnapshotSome(i32.MAX_VALUE));
}

// A snapshot written in pieces stops between records and goes on from here. The engine must
// not change in between: the cursors are slots, list links and ring positions.
// @ts-ignore: decorator
@inline const PART_NONE: i32 = 0;
// @ts-ignore: decorator
@inline const PART_NAMES: i32 = 1;
// @ts-ignore: decorator
@inline const PART_FLOWS: i32 = 2;
// @ts-ignore: decorator
@inline const PART_PAIRS: i32 = 3;
// @ts-ignore: decorator
@inline const PART_DATAGRAMS: i32 = 4;

let part: i32 = PART_NONE;
let blobNames: u32 = 0;
/** The next name id, ring step or fragment slot of the part being written. */
let cursor: u32 = 0;
let flowHost: u32 = 0;
let flowClass: u32 = 0;
/** Slot of the next flow to write in list (flowHost, flowClass); NIL once that list is done. */
let flowNext: u32 = NIL;
/**
 * Pairs and datagrams refer to flows by their place in the blob, their ordinal. While a
 * snapshot is under way a written flow's `prev` link holds it (the walk follows `next` only,
 * and a table-sized array of ordinals would cost 4 bytes a flow); tableRelink restores them.
 */
let ordinal: u32 = 0;
/** FNV-1a of the pieces written so far, carried from piece to piece. */
let sum: u32 = 0;
let blobSize: usize = 0;

/**
 * Appends the next piece of the snapshot blob to the output buffer, stopping between records
 * once the piece holds `limit` bytes, so a table's worth of state never needs one buffer its
 * size; true once the blob is complete (its checksum written). Starts a snapshot if none is
 * under way; the pieces in order are byte for byte the blob writeSnapshot writes.
 */
export function writeSnapshotSome(limit: i32): bool {
  const start = outLen();
  // counted from the piece's start, so a piece appended to other output still makes progress
  const until = limit > i32.MAX_VALUE - start ? i32.MAX_VALUE : start + limit;
  if (part == PART_NONE) beginSnapshot();
  let done = false;
  if (part == PART_NAMES && writeNames(until)) startFlows();
  if (part == PART_FLOWS && writeFlows(until)) startPairs();
  if (part == PART_PAIRS && writePairs(until)) startDatagrams();
  if (part == PART_DATAGRAMS && writeDatagrams(until)) done = true;
  sum = hashBytesFrom(sum, outPtr() + <usize>start, outLen() - start);
  if (!done) return false;
  const p = reserve(4);
  store<u32>(p, sum);
  commit(4);
  snapshotCancel();
  return true;
}

/** Forgets a snapshot under way (its pieces are no longer wanted, or the engine changed). */
export function snapshotCancel(): void {
  if (part >= PART_FLOWS) tableRelink();
  part = PART_NONE;
}

/** True while a snapshot has pieces left to write. */
export function snapshotUnderWay(): bool {
  return part != PART_NONE;
}

/** Length of the whole blob under way or last written, known from its first piece on. */
export function snapshotSize(): usize {
  return blobSize;
}

/** The fixed part: header, date context, counters; the names come next. */
function beginSnapshot(): void {
  ensureEngine();
  blobNames = nameCount();
  const countersSize = offsetof<Counters>();
  const p = reserve(HEADER_SIZE + <usize>DATE_CONTEXT_SIZE + countersSize);
  putMagic(p);
  store<u32>(p, SNAPSHOT_VERSION, 8);
  store<u32>(p, <u32>FLOW_RECORD, 12);
  store<u32>(p, <u32>countersSize, 16);
  store<u32>(p, blobNames, 20);
  store<u32>(p, tableUsed(), 24);
  store<u32>(p, keptHosts(), 28);
  store<i64>(p, engineClock(), 32);
  memory.copy(p + 40, packetKeyPtr(), 16);
  dateContextSave(p + HEADER_SIZE);
  memory.copy(p + HEADER_SIZE + <usize>DATE_CONTEXT_SIZE, changetype<usize>(counters), countersSize);
  commit(HEADER_SIZE + <usize>DATE_CONTEXT_SIZE + countersSize);
  markUsedNames();
  // the length up front, so a host can take the pieces into one buffer without regrowing it
  blobSize = HEADER_SIZE + <usize>DATE_CONTEXT_SIZE + countersSize;
  for (let id: u32 = 1; id < blobNames; id++) blobSize += 2 + (isUsed(id) ? <usize>nameLen(<u16>id) : 0);
  blobSize += <usize>keptHosts() * HOST_RECORD + <usize>tableUsed() * FLOW_RECORD;
  blobSize += 4 + <usize>pairsKept() * PAIR_RECORD + 4 + <usize>datagramsWaiting() * DATAGRAM_RECORD + 4;
  sum = FNV_OFFSET;
  cursor = 1;
  part = PART_NAMES;
}

function writeNames(until: i32): bool {
  for (; cursor < blobNames; cursor++) {
    if (outLen() >= until) return false;
    const n = isUsed(cursor) ? nameLen(<u16>cursor) : 0;
    const p = reserve(2 + <usize>n);
    store<u16>(p, <u16>n);
    memory.copy(p + 2, namePtr(<u16>cursor), <usize>n);
    commit(2 + <usize>n);
  }
  return true;
}

/** The hosts (a few KiB at most, so in one go), then the flows from the first list. */
function startFlows(): void {
  writeHosts();
  ordinal = 0;
  flowHost = 0;
  flowClass = 0;
  flowNext = headSlot(0, 0);
  part = PART_FLOWS;
}

/** The flows, host by host, timer class by timer class, each list in order. */
function writeFlows(until: i32): bool {
  while (flowHost < observersUsed()) {
    while (flowNext != NIL) {
      if (outLen() >= until) return false;
      const f = flowAt(flowNext);
      const p = reserve(FLOW_RECORD);
      flowKey(f, p);
      memory.copy(p + KEY_SIZE, changetype<usize>(f) + SLOT_KEPT_FROM, <usize>SLOT_SIZE - SLOT_KEPT_FROM);
      commit(FLOW_RECORD);
      f.prev = ordinal++;
      flowNext = f.next;
    }
    if (++flowClass == TIMER_CLASSES) {
      flowClass = 0;
      flowHost++;
    }
    flowNext = flowHost < observersUsed() ? headSlot(flowClass, flowHost) : NIL;
  }
  return true;
}

function headSlot(cls: u32, hs: u32): u32 {
  const f = listHead(cls, hs);
  return f === null ? NIL : slotOf(f);
}

/** The blob ordinal of flow (slot, generation), or PAIR_NIL if it is no longer open. */
function ordinalOf(slot: u32, gen: u32): u32 {
  return slotIsLive(slot, gen) ? flowAt(slot).prev : PAIR_NIL;
}

/**
 * A packet whose lines may still come: some position free, and not older than pair_window on
 * its host's clock (a line that much later would no longer pair with it as it is).
 */
function pairKept(i: u32): bool {
  if (!pairOpen(i)) return false;
  const e = pairAt(i);
  return hostClock(observerAt(<u32>e.host)) - e.timeUs <= config.pairWindowUs;
}

function pairsKept(): u32 {
  let n: u32 = 0;
  for (let k: u32 = 0; k < RING; k++) if (pairKept(k)) n++;
  return n;
}

function startPairs(): void {
  const p = reserve(4);
  store<u32>(p, pairsKept());
  commit(4);
  cursor = 0;
  part = PART_PAIRS;
}

/** The packets whose lines may still come, oldest first (from the ring's next position). */
function writePairs(until: i32): bool {
  const start = pairRingNext();
  for (; cursor < RING; cursor++) {
    const i = (start + cursor) & (RING - 1);
    if (!pairKept(i)) continue;
    if (outLen() >= until) return false;
    const e = pairAt(i);
    const p = reserve(PAIR_RECORD);
    memory.copy(p, changetype<usize>(e), 48);
    store<u16>(p, observerAt(<u32>e.host).nameId, 38);
    store<i64>(p, e.timeUs, 48);
    store<u32>(p, ordinalOf(e.flowSlot, e.flowGen), 56);
    store<u8>(p, e.filled, 60);
    store<u8>(p, e.waits, 61);
    store<u8>(p, e.counted, 62);
    store<u8>(p, e.first, 63);
    store<u16>(p, e.inIf, 64);
    store<u16>(p, e.outIf, 66);
    store<u32>(p, 0, 68);
    commit(PAIR_RECORD);
  }
  return true;
}

function datagramsWaiting(): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < FRAG_SLOTS; i++) if (datagramWaiting(i)) n++;
  return n;
}

function startDatagrams(): void {
  const p = reserve(4);
  store<u32>(p, datagramsWaiting());
  commit(4);
  cursor = 0;
  part = PART_DATAGRAMS;
}

function writeDatagrams(until: i32): bool {
  for (; cursor < FRAG_SLOTS; cursor++) {
    const i = cursor;
    if (!datagramWaiting(i)) continue;
    if (outLen() >= until) return false;
    const d = datagramAt(i);
    const p = reserve(DATAGRAM_RECORD);
    memory.fill(p, 0, DATAGRAM_RECORD);
    memory.copy(p, changetype<usize>(d), 32);
    store<u16>(p, observerAt(<u32>d.host).nameId, 32);
    store<u8>(p, d.proto, 34);
    store<u8>(p, datagramHasId(i) ? 1 : 0, 35);
    store<u32>(p, d.nextOff, 36);
    store<u32>(p, d.id, 40);
    store<u32>(p, ordinalOf(d.flowSlot, d.flowGen), 44);
    store<i64>(p, d.timeUs, 48);
    commit(DATAGRAM_RECORD);
  }
  return true;
}

/**
 * A host worth writing: it has open flows, or it was judged a router. The others are
 * forgotten at a restart, as their ended flows' names are (their next line starts them anew).
 */
function kept(hs: u32): bool {
  if (observerAt(hs).judged != 0) return true;
  for (let c: u32 = 0; c < TIMER_CLASSES; c++) if (listHead(c, hs) !== null) return true;
  return false;
}

function keptHosts(): u32 {
  let n: u32 = 0;
  for (let hs: u32 = 0; hs < observersUsed(); hs++) if (kept(hs)) n++;
  return n;
}

function writeHosts(): void {
  for (let hs: u32 = 0; hs < observersUsed(); hs++) {
    if (!kept(hs)) continue;
    const h = observerAt(hs);
    const p = reserve(HOST_RECORD);
    store<u16>(p, h.nameId);
    store<u16>(p, h.firstIf, 2);
    store<u8>(p, h.judged, 4);
    store<u8>(p, h.multiIf, 5);
    store<u8>(p, hs == clockReference() ? 1 : 0, 6);
    store<u8>(p, 0, 7);
    store<i64>(p, h.lineUs, 8);
    store<i64>(p, h.pendingJumpUs, 16);
    store<i64>(p, h.offsetUs, 24);
    commit(HOST_RECORD);
  }
}

// One bit per name id: set for every name an open flow or a logging host refers to.
const USED: usize = memory.data(8192 / 8);

function markUsedNames(): void {
  memory.fill(USED, 0, 8192 / 8);
  for (let hs: u32 = 0; hs < observersUsed(); hs++) {
    if (!kept(hs)) continue;
    mark(observerAt(hs).nameId);
    mark(observerAt(hs).firstIf);
    for (let c: u32 = 0; c < TIMER_CLASSES; c++) {
      let f = listHead(c, hs);
      while (f !== null) {
        mark(f.observer);
        mark(f.ingressIf);
        mark(f.egressIf);
        mark(f.rule);
        f = f.next == NIL ? null : flowAt(f.next);
      }
    }
  }
  for (let i: u32 = 0; i < RING; i++) {
    if (!pairKept(i)) continue;
    const e = pairAt(i);
    mark(observerAt(<u32>e.host).nameId);
    mark(e.inIf);
    mark(e.outIf);
  }
  for (let i: u32 = 0; i < FRAG_SLOTS; i++) if (datagramWaiting(i)) mark(observerAt(<u32>datagramAt(i).host).nameId);
}

function mark(id: u16): void {
  const i = <u32>id;
  if (i < 8192) store<u8>(USED + (i >> 3), load<u8>(USED + (i >> 3)) | <u8>(<u32>1 << (i & 7)));
}

function isUsed(id: u32): bool {
  return (<u32>load<u8>(USED + (id >> 3)) & (<u32>1 << (id & 7))) != 0;
}

function putMagic(p: usize): void {
  store<u64>(p, 0x50414e5346504d49); // "IPMFSNAP" little-endian
}

/**
 * Loads a blob written by writeSnapshot into the current (freshly initialised) engine.
 * Returns false with snapshotError() set if the blob is truncated, corrupt or foreign; the
 * engine is then left as it was. Flows beyond the current capacity are reported as evicted.
 */
export function restoreSnapshot(blob: usize, n: usize): bool {
  ensureEngine();
  restoreError = "";
  const countersSize = offsetof<Counters>();
  const fixed = HEADER_SIZE + <usize>DATE_CONTEXT_SIZE + countersSize;
  if (n < fixed + 4) return fail("state blob is truncated");
  if (load<u64>(blob) != 0x50414e5346504d49) return fail("not an ipmon-flow state blob");
  const version = load<u32>(blob, 8);
  if (version != SNAPSHOT_VERSION && version != 3) return fail("state blob version " + version.toString() + " is not supported");
  const record = version == 3 ? FLOW_RECORD_V3 : FLOW_RECORD;
  if (<usize>load<u32>(blob, 12) != record || load<u32>(blob, 16) != <u32>countersSize) {
    return fail("state blob was written by an incompatible build");
  }
  if (hashBytes(blob, <i32>(n - 4)) != load<u32>(blob + n - 4)) return fail("state blob checksum mismatch (corrupt)");
  const names = load<u32>(blob, 20);
  const flows = load<u32>(blob, 24);
  const hosts = load<u32>(blob, 28);
  // Walk the names once to check bounds before changing anything.
  let p = blob + fixed;
  const end = blob + n - 4;
  for (let id: u32 = 1; id < names; id++) {
    if (p + 2 > end) return fail("state blob is truncated (names)");
    p += 2 + <usize>load<u16>(p);
  }
  const hostsAt = p;
  if (hosts > 1025) return fail("state blob is corrupt (hosts)");
  p += <usize>hosts * HOST_RECORD;
  if (p > end || <u64>(end - p) < <u64>flows * <u64>record + 8) return fail("state blob is truncated (flows)");
  const pairsAt = p + <usize>flows * record;
  const pairs = load<u32>(pairsAt);
  if (<u64>(end - pairsAt) < 8 + <u64>pairs * PAIR_RECORD) return fail("state blob is truncated (pairing)");
  const datagramsAt = pairsAt + 4 + <usize>pairs * PAIR_RECORD;
  const datagrams = load<u32>(datagramsAt);
  if (<u64>(end - datagramsAt) != 4 + <u64>datagrams * DATAGRAM_RECORD) return fail("state blob is truncated (fragments)");
  if (version == 3) {
    for (let i: u32 = 0; i < flows; i++) {
      if (!flowFromV3(changetype<Flow>(V3_CHECK), p + <usize>i * record)) return fail("state blob is corrupt (flow " + i.toString() + ")");
    }
  }
  // Re-intern names: old id → new id, kept in a scratch table.
  const remap = heap.alloc(<usize>(names < 1 ? 1 : names) * 2);
  store<u16>(remap, 0);
  p = blob + fixed;
  for (let id: u32 = 1; id < names; id++) {
    const len = <i32>load<u16>(p);
    store<u16>(remap + (<usize>id << 1), intern(p + 2, len, true)); // restoring: may use the reserve
    p += 2 + <usize>len;
  }
  p += <usize>hosts * HOST_RECORD;
  // the blob's key, while nothing is hashed under this process's own yet (a fresh start);
  // restoring into a table in use keeps its key: every flow below is hashed anew either way
  if (tableUsed() == 0) memory.copy(packetKeyPtr(), blob + 40, 16);
  dateContextLoad(blob + HEADER_SIZE);
  memory.copy(changetype<usize>(counters), blob + HEADER_SIZE + <usize>DATE_CONTEXT_SIZE, countersSize);
  restoreClock(load<i64>(blob, 32), restoreHosts(hostsAt, hosts, remap, names));
  // where each flow of the blob went: its slot and generation, by ordinal
  const placed = heap.alloc(<usize>(flows < 1 ? 1 : flows) << 3);
  memory.fill(placed, 0xff, <usize>(flows < 1 ? 1 : flows) << 3);
  for (let i: u32 = 0; i < flows; i++) {
    const src = p + <usize>i * record;
    // the key comes first in both versions; observer is part of it: fix it before hashing
    memory.copy(KEY_SCRATCH, src, KEY_SIZE);
    store<u16>(KEY_SCRATCH, mapId(remap, names, load<u16>(src, 38)), 38);
    const h = hashKey(KEY_SCRATCH);
    if (tableFind(KEY_SCRATCH, h) !== null) continue; // duplicate in a tampered blob: keep the first
    if (tableFull()) evictOldest();
    const f = tableInsert(KEY_SCRATCH, h);
    if (version == 3) flowFromV3(f, src);
    else memory.copy(changetype<usize>(f) + SLOT_KEPT_FROM, src + KEY_SIZE, <usize>SLOT_SIZE - SLOT_KEPT_FROM);
    store<u32>(placed + (<usize>i << 3), slotOf(f));
    store<u32>(placed + (<usize>i << 3), f.generation, 4);
    f.ingressIf = mapId(remap, names, f.ingressIf);
    f.egressIf = mapId(remap, names, f.egressIf);
    f.rule = mapId(remap, names, f.rule);
    const cls = <u32>f.timerClass;
    f.timerClass = <u8>TIMER_CLASSES;
    listAppend(f, cls < TIMER_CLASSES ? cls : 2, f.timerUs);
  }
  restorePairs(pairsAt + 4, pairs, remap, names, placed, flows);
  restoreDatagrams(datagramsAt + 4, datagrams, remap, names, placed, flows);
  heap.free(placed);
  heap.free(remap);
  return true;
}

function restorePairs(p: usize, n: u32, remap: usize, names: u32, placed: usize, flows: u32): void {
  for (let k: u32 = 0; k < n; k++) {
    const rec = p + <usize>k * PAIR_RECORD;
    const observer = mapId(remap, names, load<u16>(rec, 38));
    const hs = hostSlot(observer);
    if (hs == NO_HOST) continue;
    // the fingerprint's hash extends its flow key's, keyed by this process's name ids
    const keyHash = pairKeyHash(rec, observer);
    const ord = load<u32>(rec, 56);
    const slot = ord < flows ? load<u32>(placed + (<usize>ord << 3)) : PAIR_NIL;
    const gen = ord < flows ? load<u32>(placed + (<usize>ord << 3), 4) : 0;
    pairRestoreEntry(
      rec, hs, keyHash, pairKeySrcIsA(), load<i64>(rec, 48), slot, gen, load<u8>(rec, 60), load<u8>(rec, 61), load<u8>(rec, 62), load<u8>(rec, 63),
      mapId(remap, names, load<u16>(rec, 64)), mapId(remap, names, load<u16>(rec, 66)),
    );
  }
}

function restoreDatagrams(p: usize, n: u32, remap: usize, names: u32, placed: usize, flows: u32): void {
  for (let k: u32 = 0; k < n; k++) {
    const rec = p + <usize>k * DATAGRAM_RECORD;
    const hs = hostSlot(mapId(remap, names, load<u16>(rec, 32)));
    if (hs == NO_HOST) continue;
    const ord = load<u32>(rec, 44);
    const slot = ord < flows ? load<u32>(placed + (<usize>ord << 3)) : PAIR_NIL;
    const gen = ord < flows ? load<u32>(placed + (<usize>ord << 3), 4) : 0;
    fragmentRestore(
      rec, rec + 16, hs, <u32>load<u8>(rec, 34), load<u32>(rec, 36), load<u8>(rec, 35) != 0, load<u32>(rec, 40), load<i64>(rec, 48), slot, gen,
    );
  }
}

/**
 * Gives each saved host its slot back (by name), with its clock and what was learnt of it;
 * returns the slot of the stream clock's reference host.
 */
function restoreHosts(p: usize, hosts: u32, remap: usize, names: u32): u32 {
  let reference = NO_HOST;
  for (let i: u32 = 0; i < hosts; i++) {
    const rec = p + <usize>i * HOST_RECORD;
    const hs = hostSlot(mapId(remap, names, load<u16>(rec)));
    if (hs == NO_HOST) continue;
    if (load<u8>(rec, 6) != 0) reference = hs;
    const h = observerAt(hs);
    h.firstIf = mapId(remap, names, load<u16>(rec, 2));
    h.judged = load<u8>(rec, 4);
    h.multiIf = load<u8>(rec, 5);
    h.lineUs = load<i64>(rec, 8);
    h.pendingJumpUs = load<i64>(rec, 16);
    h.offsetUs = load<i64>(rec, 24);
  }
  if (reference != NO_HOST) return reference;
  // the reference host was not written (it had nothing open): the restored host nearest the
  // stream clock's time base keeps its offset fixed from now on
  let best: i64 = i64.MIN_VALUE;
  for (let hs: u32 = 0; hs < observersUsed(); hs++) {
    const h = observerAt(hs);
    if (h.lineUs != 0 && h.offsetUs > best) {
      best = h.offsetUs;
      reference = hs;
    }
  }
  return reference;
}

const KEY_SCRATCH: usize = memory.data(<i32>KEY_SIZE);
/** A slot's worth of scratch to check version 3 records before anything changes. */
const V3_CHECK: usize = memory.data(<i32>SLOT_SIZE);

function mapId(remap: usize, names: u32, id: u16): u16 {
  return <u32>id < names ? load<u16>(remap + (<usize>id << 1)) : 0;
}

function fail(msg: string): bool {
  restoreError = msg;
  return false;
}
