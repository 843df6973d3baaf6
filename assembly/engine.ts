// The correlator: turns parsed lines into flows and decides when each flow is reported.
// Host-agnostic: hosts feed lines and clock ticks, and read the records from output.ts.
//
// Time is event time — the log line's own timestamp — never the wall clock, so a replayed
// log gives the same flows as a live one. The engine clock is the latest time seen.

import * as config from "./config";
import {
  Flow, FLOW_CLOSED, FLOW_CONTINUED, FLOW_FLIPPED, FLOW_ORIG_DATA, FLOW_RESP_DATA, FLOW_RULE_FROM_LOG, FLOW_SYN_SEEN, KEY_ONE_WAY, KEY_PORTS,
  KEY_V6, NIL, RETRY_LEVELS, TIMER_CLASSES, TIMER_CLOSING, TIMER_ICMP, TIMER_OTHER, TIMER_TCP_ATTEMPT,
  TIMER_TCP_ESTABLISHED, TIMER_TCP_HANDSHAKE, TIMER_TCP_RETRY, TIMER_UDP, listAppend, listHead, tableFind, tableFull, tableInit, tableInsert,
  tableRemove, tableUsed, tableHighWater, tableProbeSteps, tableBytes, slotOf, flowAt, originatorAddr, originatorPort, responderAddr, slotIsLive,
} from "./flows/flowtable";
import { hashKey } from "./flows/hash";
import { NO_HOST, Observer, hostFor, hostOf, observerAt, observersInit, observersUsed } from "./flows/observers";
import { netsAdd, netsBegin, netsClear } from "./flows/localnets";
import {
  FP_FRAGMENT, FP_PORTS, FP_V6, PAIR_NIL, POS_IN_DEC, POS_IN_L, POS_OUT_DEC, POS_OUT_L, PairEntry, judgedNow, pairAt, pairCounted,
  pairFingerprint, pairInit, pairLine, positionOf,
} from "./flows/pairing";
import { datagramAt, fragmentFirst, fragmentsInit, fragmentTail } from "./flows/fragments";
import { icmpCounterpart } from "./parse/icmp";
import { intern, nameLen, namePtr, EMPTY_ID, OVERFLOW_ID } from "./flows/intern";
import {
  DIR_IN, DIR_NONE, DIR_OUT, KIND_BLANK, LINE_QDST, LINE_QSRC, LineRecord, ACT_LOG, KIND_HEX, KIND_MISSED, KIND_NAT, KIND_PACKET, KIND_STATE, KIND_STATUS, KIND_UNPARSED,
  LINE_DST, LINE_SRC, TH_ACK, TH_PUSH, TH_SYN, line, parseLine, setDateContext, ACT_BLOCK, ACT_PASS, WHY_TOO_MANY_HOSTS,
  zoneAdd, zonesClear,
} from "./parse/line";
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from "./parse/protocols";
import { isTcpServerPort, isUdpServerPort } from "./flows/serverports";
import {
  END_ACTIVE_TIMEOUT, END_FORCED, END_IDLE_TIMEOUT, END_LACK_OF_RESOURCES, END_OF_FLOW, putRecordId, writeFlow, writeForwarded,
} from "./records/summary";
import { addHistory, bothEnded, tcpHistoryLetter, tcpUpdate, TCP_INACTIVE, TCP_SYN_ACK_SENT, TCP_SYN_SENT } from "./flows/tcp";
import { beginRecord, endRecord, outLen, putAscii, putU64 } from "./records/output";
import { putIsoTime, US_PER_SECOND } from "./parse/clock";
import { scanAttempt, scanEpisodes, scanFlushAll, scannerInit, scanRecords, scanSweep } from "./scanner";
import { candidatesEvicted, scansUsed } from "./flows/scans";

// ── counters (the stats record) ──────────────────────────────────────────────────────────────

/** Where every line went, and what the table did. One static block, so a snapshot copies it whole. */
@unmanaged
export class Counters {
  linesRead: u64;
  blankLines: u64;
  packetLines: u64;
  flowLines: u64;
  uncorrelatedLines: u64;
  otherLines: u64;
  stateLines: u64;
  natLines: u64;
  missedLines: u64;
  hexLines: u64;
  statusLines: u64;
  unparsedLines: u64;
  packetsIn: u64;
  bytesIn: u64;
  flowsEmitted: u64;
  evictions: u64;
  missedEntries: u64;
  flowsWithoutReply: u64;
  /** Jumps of the log's clock beyond max_clock_step that a second line confirmed. */
  clockSteps: u64;
  /** Lines whose time was that far from the clock and not (yet) confirmed: timed on the clock. */
  clockOutliers: u64;
  /** Lines of a forwarded packet's other interface, folded into the packet its first line counted. */
  foldedOutLines: u64;
  /** `L` lines folded into a packet counted from another of its lines. */
  foldedLogLines: u64;
  /** Decision lines folded into the packet their `L` line counted (same interface). */
  foldedDecisionLines: u64;
  /** Logging hosts judged routers from their own lines (device auto). */
  routersJudged: u64;
}

/** The engine's counters. */
export const counters = changetype<Counters>(memory.data(offsetof<Counters>()));

/**
 * The stream clock (µs since the epoch, 0 before the first dated line): how far event time has
 * got, on the time base of the first logging host. Each host's timers run on its own clock
 * (hostClock), which follows its own lines and, while the host is quiet, this clock.
 */
let streamUs: i64 = 0;
/** The host whose time the stream clock is on (the first to log); its offset stays 0. */
let referenceHost: u32 = NO_HOST;
/** No quiet host has a flow due before the stream clock reaches this. */
let nextStreamSweepUs: i64 = i64.MAX_VALUE;

let ready = false;

/**
 * Makes sure the engine exists. The table is allocated on first use, not at instantiation, so
 * a host that configures a small capacity never pays for the default one (Wasm memory only
 * grows).
 */
// @ts-ignore: decorator
@inline export function ensureEngine(): void {
  if (!ready) engineInit();
}

/** Resets all state and applies the current configuration. */
export function engineInit(): void {
  ready = true;
  observersInit();
  pairInit();
  fragmentsInit();
  scannerInit();
  // the table last: the allocator grows memory by at least its current size, so a fixed
  // structure allocated after the table would double the memory the table takes
  tableInit(config.capacity);
  // neither a year nor a reference time: 1970, so the result never depends on when it runs
  const year = config.year == 0 && config.referenceTimeUs == 0 ? 1970 : config.year;
  setDateContext(year, config.utcOffsetMinutes, config.utcOffsetSet, config.referenceTimeUs);
  memory.fill(changetype<usize>(counters), 0, offsetof<Counters>());
  streamUs = 0;
  referenceHost = NO_HOST;
  nextStreamSweepUs = i64.MAX_VALUE;
  memory.fill(OBSERVER_CACHE, 0, NAME_CACHE_BYTES);
  applyHostSettings();
}

/**
 * Applies the settings that differ per logging host (config.ts `observers`, with the
 * top-level device and local_networks as defaults): time zones to the parser, device and
 * local networks to the hosts. Configured hosts get their slot now.
 */
export function applyHostSettings(): void {
  zonesClear();
  netsClear();
  const top = config.localNets;
  if (top !== null) loadNets(0, top);
  for (let s: u32 = 0; s < observersUsed(); s++) {
    const h = observerAt(s);
    h.device = config.device;
    h.nets = 0;
  }
  const list = config.observers;
  for (let i = 0; i < list.length; i++) {
    const o = list[i];
    const bytes = String.UTF8.encode(o.name);
    const ptr = changetype<usize>(bytes);
    const n = bytes.byteLength;
    if (o.offsetSet) zoneAdd(ptr, n, o.offsetMinutes);
    const s = hostSlot(intern(ptr, n, true));
    if (s == NO_HOST) continue;
    const h = observerAt(s);
    if (o.device >= 0) h.device = <u8>o.device;
    const nets = o.nets;
    if (nets !== null) {
      loadNets(<u32>i + 1, nets);
      h.nets = <u16>(i + 1);
    }
  }
}

function loadNets(set: u32, list: config.NetList): void {
  netsBegin(set, list.groups);
  for (let i = 0; i < list.cidrs.length; i++) {
    const c = list.cidrs[i];
    netsAdd(set, changetype<usize>(c), <i32>c[16]);
  }
}

/** The slot of the host with name id `id`; a host seen for the first time gets the defaults. */
export function hostSlot(id: u16): u32 {
  const before = observersUsed();
  const s = hostFor(id);
  if (observersUsed() != before) observerAt(s).device = config.device;
  return s;
}

/** The stream clock: the latest time any logging host's clock reached. */
export function engineClock(): i64 {
  return streamUs;
}

/** Makes the next line or tick re-plan every host's sweep (after a timeout setting changed). */
export function replanSweep(): void {
  for (let s: u32 = 0; s < observersUsed(); s++) observerAt(s).nextSweepUs = 0;
  nextStreamSweepUs = 0;
}

/** Sets the stream clock and its reference host (a slot) from a snapshot; sweeps are re-planned. */
export function restoreClock(t: i64, reference: u32): void {
  streamUs = t;
  referenceHost = reference;
  replanSweep();
}

/** The slot of the host the stream clock's time base is taken from (NO_HOST before any line). */
export function clockReference(): u32 {
  return referenceHost;
}

/** Processes one line (without its newline) and writes every record that became due. */
export function processLine(start: usize, n: i32): void {
  ensureEngine();
  counters.linesRead++;
  const kind = parseLine(start, n);
  const r = line;
  if (kind == KIND_BLANK) {
    counters.blankLines++;
    return;
  }
  const observer = r.observerLen > 0 ? observerId(r.observerPtr, r.observerLen) : EMPTY_ID;
  const hs = hostSlot(observer);
  if (r.hasTime && hs != NO_HOST) {
    lineTime(hs, r.timeUs);
    if (streamUs >= nextStreamSweepUs) sweepQuietHosts();
  }
  if (kind == KIND_PACKET) {
    counters.packetLines++;
    if (hs == NO_HOST && r.why == 0) r.why = WHY_TOO_MANY_HOSTS;
    if (r.why == 0) {
      packet(observer, hs);
      return;
    }
    counters.uncorrelatedLines++;
  } else if (kind == KIND_UNPARSED) {
    counters.unparsedLines++;
  } else {
    counters.otherLines++;
    if (kind == KIND_STATE) counters.stateLines++;
    else if (kind == KIND_NAT) counters.natLines++;
    else if (kind == KIND_MISSED) {
      counters.missedLines++;
      counters.missedEntries += missedCount(r.msgPtr, r.msgLen);
    } else if (kind == KIND_HEX) counters.hexLines++;
    else if (kind == KIND_STATUS) counters.statusLines++;
  }
  writeForwarded(r, start, n, kind, r.why, observer, hs != NO_HOST && observerAt(hs).lineUs > 0 ? hostClock(observerAt(hs)) : streamUs);
}

/**
 * Interned id of the logging host, with the last few hosts remembered: a relay interleaves the
 * lines of several firewalls, and hashing the name again for every line cost about 2% of a
 * line in WAMR's interpreter when two alternated.
 */
function observerId(ptr: usize, n: i32): u16 {
  return cachedName(OBSERVER_CACHE, ptr, n, true);
}

/** The N of "missed N ... log entries". */
function missedCount(p: usize, n: i32): u64 {
  let i = 7; // "missed "
  let v: u64 = 0;
  while (i < n) {
    const d = <u32>load<u8>(p + i) - 0x30;
    if (d > 9) break;
    v = v * 10 + d;
    i++;
  }
  return v;
}

/**
 * A logging host's clock: the later of its own latest line and, while it is quiet, the stream
 * clock at the host's offset from it. So every host's timers run on its own time base (two
 * firewalls hours apart neither expire nor freeze each other's flows), yet a host that goes
 * quiet still sees its flows end as time passes on the stream, as it would live.
 */
export function hostClock(h: Observer): i64 {
  const following = streamUs + h.offsetUs;
  return h.lineUs > following ? h.lineUs : following;
}

/**
 * Takes one of a host's lines' time into the clocks. The first host to log sets the stream
 * clock's time base; every other host is placed against it by its first line, and its offset
 * is lowered whenever its clock is found more than RELAY_JITTER_US further behind (a relay
 * that delivers it late, a clock running slow). A line whose own clock moves on beyond the
 * stream moves the stream on.
 *
 * One line far from the host's clock (a typo'd date, a broken clock) would otherwise expire
 * every open flow of the host, or freeze them: it moves the clock only when the host's next
 * line confirms the new time (a real gap, or a clock stepped by NTP). Until then it is counted
 * as an outlier and timed on the clock.
 */
function lineTime(hs: u32, t: i64): void {
  const h = observerAt(hs);
  if (streamUs == 0) streamUs = t;
  if (h.lineUs == 0) {
    firstLine(hs, h, t);
    return;
  }
  const maxStep = config.maxClockStepUs;
  const now = hostClock(h);
  const off = t - now;
  if (maxStep == 0 || (off <= maxStep && off >= -maxStep)) {
    h.pendingJumpUs = 0;
    moveOn(hs, h, t);
  } else {
    const d = t - h.pendingJumpUs;
    if (h.pendingJumpUs != 0 && d <= maxStep && d >= -maxStep) {
      h.pendingJumpUs = 0;
      counters.clockSteps++;
      step(hs, h, now, t);
    } else {
      h.pendingJumpUs = t;
      counters.clockOutliers++;
      return;
    }
  }
  if (hostClock(h) >= h.nextSweepUs) sweep(hs, h);
}

// A new host's first line at most this far ahead of the stream clock is taken as time moving
// on (a quiet stream), not as a clock running ahead: in a relay lines of different hosts are
// at most milliseconds apart, so a host further ahead is placed at its own offset rather than
// dragging every other host's clock with it.
// @ts-ignore: decorator
@inline const SAME_TIME_US: i64 = 10 * US_PER_SECOND;

/** A host's first line places its clock against the stream's. */
function firstLine(hs: u32, h: Observer, t: i64): void {
  h.lineUs = t;
  if (referenceHost == NO_HOST) referenceHost = hs;
  const ahead = t - streamUs;
  if (hs == referenceHost || (ahead >= 0 && ahead <= SAME_TIME_US)) {
    h.offsetUs = 0;
    if (t > streamUs) streamUs = t;
  } else {
    h.offsetUs = ahead;
  }
}

// A relay passes each firewall's lines on in batches, so a host's lines lag the stream by up to
// about this much and then lead it again. Lags within it are jitter, not a slower clock: were
// the offset lowered for each, the host's next lines (time minus that offset) would push the
// stream ahead of real time, the other hosts would lag it, be lowered in turn, and the stream
// would ratchet ahead with every batch, expiring quiet hosts' flows seconds early.
// @ts-ignore: decorator
@inline const RELAY_JITTER_US: i64 = US_PER_SECOND;

/** A line at time t within reach of host h's clock: the host's and the stream's clocks move on. */
function moveOn(hs: u32, h: Observer, t: i64): void {
  if (t <= h.lineUs) return; // a line delivered late: nothing new about the clocks
  h.lineUs = t;
  const onStream = t - h.offsetUs;
  if (onStream > streamUs) streamUs = onStream;
  else if (hs != referenceHost && t - streamUs < h.offsetUs - RELAY_JITTER_US) lowerOffset(h, t - streamUs);
}

function lowerOffset(h: Observer, offset: i64): void {
  if (offset < h.offsetUs) h.offsetUs = offset;
}

/**
 * The host's clock was stepped (a jump a second line confirmed): forward, it continues there;
 * back, every timer of the host moves back with it, keeping their order.
 */
function step(hs: u32, h: Observer, now: i64, t: i64): void {
  if (t < now) {
    const delta = now - t;
    for (let c: u32 = 0; c < TIMER_CLASSES; c++) {
      let f = listHead(c, hs);
      while (f !== null) {
        f.timerUs -= delta;
        f = f.next == NIL ? null : flowAt(f.next);
      }
    }
    h.nextSweepUs = 0;
  }
  h.lineUs = t;
  h.offsetUs = t - streamUs;
  // a quiet host whose offset grew reaches its deadlines on the stream earlier
  noteStreamSweep(h);
}

/**
 * Event time moved on to t on the stream clock (a quiet log, as the host measures it): every
 * logging host's clock follows at its offset, and the flows that expired are reported.
 */
export function advanceClock(t: i64): void {
  ensureEngine();
  if (t <= streamUs) return;
  streamUs = t;
  sweepQuietHosts();
}

/** Sweeps every host whose clock reached its next deadline; re-plans the stream's next sweep. */
function sweepQuietHosts(): void {
  let next = i64.MAX_VALUE;
  for (let s: u32 = 0; s < observersUsed(); s++) {
    const h = observerAt(s);
    if (h.lineUs == 0) continue;
    if (hostClock(h) >= h.nextSweepUs) sweep(s, h);
    const due = h.nextSweepUs == i64.MAX_VALUE ? i64.MAX_VALUE : h.nextSweepUs - h.offsetUs;
    if (due < next) next = due;
  }
  nextStreamSweepUs = next;
}

/** Keeps the stream's next sweep no later than the time host h's next deadline comes due on it. */
// @ts-ignore: decorator
@inline function noteStreamSweep(h: Observer): void {
  if (h.nextSweepUs != i64.MAX_VALUE && h.nextSweepUs - h.offsetUs < nextStreamSweepUs) nextStreamSweepUs = h.nextSweepUs - h.offsetUs;
}

/** Reports every flow of host hs whose deadline is at or before the host's clock. */
function sweep(hs: u32, h: Observer): void {
  let next = i64.MAX_VALUE;
  const now = hostClock(h);
  for (let c: u32 = 0; c < TIMER_CLASSES; c++) {
    const timeout = timeoutOf(c);
    while (true) {
      const f = listHead(c, hs);
      if (f === null) break;
      const deadline = f.timerUs + timeout;
      if (deadline > now) {
        if (deadline < next) next = deadline;
        break;
      }
      emit(f, c == TIMER_CLOSING ? END_OF_FLOW : END_IDLE_TIMEOUT);
    }
  }
  const scansDue = scanSweep(hs, now);
  h.nextSweepUs = scansDue < next ? scansDue : next;
  noteStreamSweep(h);
}

function timeoutOf(c: u32): i64 {
  if (c >= TIMER_TCP_RETRY) {
    // after a retransmitted SYN whose gap was at most 2^k s: the next retry of an exponential
    // backoff (1, 2, 4 … 32 s on Linux, 3 then 6 s on Windows) comes about twice that gap
    // later, and the attempt timeout on top allows for jitter and a late SYN-ACK
    return (<i64>2 << (c - TIMER_TCP_RETRY)) * US_PER_SECOND + config.tcpAttemptTimeoutUs;
  }
  switch (c) {
    case TIMER_TCP_ATTEMPT: return config.tcpAttemptTimeoutUs;
    case TIMER_TCP_HANDSHAKE: return config.tcpHandshakeTimeoutUs;
    case TIMER_TCP_ESTABLISHED: return config.tcpTimeoutUs;
    case TIMER_CLOSING: return config.closeGraceUs;
    case TIMER_UDP: return config.udpTimeoutUs;
    case TIMER_ICMP: return config.icmpTimeoutUs;
  }
  return config.otherTimeoutUs;
}

/** Puts a flow of host h on timer list c at time t (h's clock) and keeps h's sweep schedule right. */
function schedule(f: Flow, h: Observer, c: u32, t: i64): void {
  listAppend(f, c, t);
  const deadline = t + timeoutOf(c);
  if (deadline < h.nextSweepUs) {
    h.nextSweepUs = deadline;
    noteStreamSweep(h);
  }
}

function emit(f: Flow, reason: u8): void {
  writeFlow(f, reason);
  counters.flowsEmitted++;
  if (f.respPackets == 0) counters.flowsWithoutReply++;
  const hs = hostOf(f.observer);
  const h = observerAt(hs);
  const scansDue = scanAttempt(f, hs, hostClock(h));
  if (scansDue < h.nextSweepUs) {
    h.nextSweepUs = scansDue;
    noteStreamSweep(h);
  }
  tableRemove(f);
}

/** Reports every open flow with end reason "forced end" (end of input, shutdown). */
export function flushAll(): void {
  flushSome(i32.MAX_VALUE);
}

/**
 * Reports open flows (end reason "forced end") until the output holds at least `limit` bytes,
 * so a host can take a full table's records in pieces instead of one buffer the size of the
 * table (~1 KB a flow); true once every flow and scan episode is reported.
 */
export function flushSome(limit: i32): bool {
  ensureEngine();
  for (let s: u32 = 0; s < observersUsed(); s++) {
    for (let c: u32 = 0; c < TIMER_CLASSES; c++) {
      while (true) {
        const f = listHead(c, s);
        if (f === null) break;
        emit(f, END_FORCED);
        if (outLen() >= limit) return false;
      }
    }
  }
  for (let s: u32 = 0; s < observersUsed(); s++) observerAt(s).nextSweepUs = i64.MAX_VALUE;
  scanFlushAll();
  return true;
}

/**
 * Evicts the flow idle longest (table full): reported, never dropped. Idle time is measured
 * on each flow's own host clock, so a host whose clock runs hours apart is not singled out.
 */
export function evictOldest(): void {
  let oldest: Flow | null = null;
  let oldestIdle: i64 = i64.MIN_VALUE;
  for (let s: u32 = 0; s < observersUsed(); s++) {
    const now = hostClock(observerAt(s));
    for (let c: u32 = 0; c < TIMER_CLASSES; c++) {
      const f = listHead(c, s);
      if (f !== null && now - f.lastUs > oldestIdle) {
        oldest = f;
        oldestIdle = now - f.lastUs;
      }
    }
  }
  if (oldest !== null) {
    counters.evictions++;
    emit(oldest, END_LACK_OF_RESOURCES);
  }
}

// ── packet → flow ────────────────────────────────────────────────────────────────────────────

/**
 * A packet line: folded into the packet an earlier line of it was counted as (pairing.ts), or
 * counted as a packet of its flow and remembered for the lines of it still to come.
 */
function packet(observer: u16, hs: u32): void {
  const r = line;
  const h = observerAt(hs);
  const ifId = interfaceId(r.ifPtr, r.ifLen);
  if (h.multiIf == 0) {
    if (h.firstIf == EMPTY_ID) h.firstIf = ifId;
    else if (h.firstIf != ifId) h.multiIf = 1;
  }
  const window = config.pairWindowUs;
  const pairing = window > 0 && r.dir != DIR_NONE;
  // The flow key first: pairing's fingerprint hash extends its hash. A port-less fragment's
  // flow is the datagram's it belongs to (countPacket).
  const kh = portlessFragment(r) ? 0 : buildKey(LINE_SRC, LINE_DST, r.proto, r.isV6, r.hasPorts, r.sport, r.dport, observer);
  let pos: u8 = 0;
  if (pairing) {
    fingerprint(hs, kh);
    pos = positionOf(r.dir == DIR_OUT, r.action == ACT_LOG);
    const e = pairLine(pos, ifId, r.timeUs, window, h);
    if (e != PAIR_NIL) {
      fold(pairAt(e), pos, ifId);
      return;
    }
  }
  const f = countPacket(observer, hs, h, ifId, kh);
  if (pairing) pairCounted(slotOf(f), f.generation, flowCreated);
}

/** The line's fingerprint for pairing: what two lines of one packet have in common. */
function fingerprint(hs: u32, kh: u32): void {
  const r = line;
  let sport: u32 = 0;
  let dport: u32 = 0;
  let fpFlags: u8 = r.isV6 ? FP_V6 : 0;
  if (r.hasPorts) {
    fpFlags |= FP_PORTS;
    sport = r.sport; // ICMP: type and code
    dport = r.dport;
  } else if (r.fragment) {
    fpFlags |= FP_FRAGMENT;
    sport = r.fragId & 0xffff;
    dport = r.fragOff;
  }
  pairFingerprint(LINE_SRC, LINE_DST, sport, dport, r.proto, fpFlags, hs, r.plen, r.tcpFlags, r.count, kh, srcIsA);
}

/**
 * The flow key hash of a packet a snapshot kept (its fingerprint at fp, pairing.ts layout) for
 * its logging host's name id in this process; pairKeySrcIsA() then tells its direction.
 */
export function pairKeyHash(fp: usize, observer: u16): u32 {
  const flags = load<u8>(fp, 37);
  return buildKey(fp, fp + 16, load<u8>(fp, 36), (flags & FP_V6) != 0, (flags & FP_PORTS) != 0, load<u16>(fp, 32), load<u16>(fp, 34), observer);
}

/** Which end of the key pairKeyHash built sent the packet. */
export function pairKeySrcIsA(): bool {
  return srcIsA;
}

/**
 * A later line of a packet already counted: no packets or bytes, but what it adds to the
 * flow — the other interface of a forwarded packet, a block at egress, the decision (action
 * and rule) after an `L` line.
 */
function fold(e: PairEntry, pos: u8, ifId: u16): void {
  const r = line;
  if ((pos & (POS_IN_L | POS_OUT_L)) != 0) counters.foldedLogLines++;
  else if (((pos | e.counted) & (POS_IN_L | POS_IN_DEC)) == 0 || ((pos | e.counted) & (POS_OUT_L | POS_OUT_DEC)) == 0) {
    counters.foldedDecisionLines++;
  } else counters.foldedOutLines++;
  if (judgedNow) counters.routersJudged++;
  if (!slotIsLive(e.flowSlot, e.flowGen)) return; // the flow ended between the lines
  const f = flowAt(e.flowSlot);
  f.actions |= r.action;
  if (r.action != ACT_LOG && (f.flags & FLOW_RULE_FROM_LOG) != 0 && e.first != 0 && r.ruleLen > 0) {
    // the decision of the flow's first packet, logged after its `L` line: its rule, not @-1:-1
    f.rule = intern(r.rulePtr, r.ruleLen);
    f.flags &= ~FLOW_RULE_FROM_LOG;
  }
  noteInterface(f, fromOriginator(f), r.dir, ifId);
}

/** True if the current line was sent by flow f's originator. */
function fromOriginator(f: Flow): bool {
  if (memory.compare(originatorAddr(f), LINE_SRC, 16) != 0) return false;
  // both ends on one address: the ports tell them apart
  return memory.compare(responderAddr(f), LINE_SRC, 16) != 0 || !line.hasPorts || line.sport == originatorPort(f);
}

/**
 * Interfaces from the originator's view (ECS observer.ingress/egress): where its packets come
 * in, where they leave. A responder's packet comes in where the originator's leave, and the
 * other way round. The first line that shows each wins.
 */
function noteInterface(f: Flow, fromOrig: bool, dir: u8, ifId: u16): void {
  if (dir == DIR_NONE) return;
  if ((dir == DIR_IN) == fromOrig) {
    if (f.ingressIf == EMPTY_ID) f.ingressIf = ifId;
  } else if (f.egressIf == EMPTY_ID) {
    f.egressIf = ifId;
  }
}

/** The flow countPacket counted in was created by this line. */
let flowCreated = false;

/** The canonical key of the packet being processed (Flow's first 40 bytes). */
const KEY: usize = memory.data(40);
/** Which endpoint of KEY the line's source is (set by buildKey). */
let srcIsA = true;

/**
 * Writes the canonical key of a packet from src to dst into KEY and returns its hash. Ports:
 * TCP/UDP ports; ICMP (type, counterpart type), or (type, code) one way, as Zeek and Community
 * ID key them (flow-semantics.md §2.2). The smaller (address, port) is endpoint A.
 */
function buildKey(src: usize, dst: usize, proto: u32, v6: bool, hasPorts: bool, sport: u32, dport: u32, observer: u16): u32 {
  let keyFlags: u8 = v6 ? KEY_V6 : 0;
  if (hasPorts) {
    keyFlags |= KEY_PORTS;
    if (proto == PROTO_ICMP || proto == PROTO_ICMPV6) {
      const cp = icmpCounterpart(sport, proto == PROTO_ICMPV6);
      if (cp < 0) keyFlags |= KEY_ONE_WAY;
      else dport = <u32>cp;
    }
  } else {
    sport = 0;
    dport = 0;
  }
  srcIsA = true;
  if ((keyFlags & KEY_ONE_WAY) == 0) {
    const s0 = bswap<u64>(load<u64>(src));
    const d0 = bswap<u64>(load<u64>(dst));
    if (s0 != d0) srcIsA = s0 < d0;
    else {
      const s1 = bswap<u64>(load<u64>(src, 8));
      const d1 = bswap<u64>(load<u64>(dst, 8));
      if (s1 != d1) srcIsA = s1 < d1;
      else srcIsA = sport <= dport;
    }
  }
  const a = srcIsA ? src : dst;
  const b = srcIsA ? dst : src;
  store<u64>(KEY, load<u64>(a));
  store<u64>(KEY, load<u64>(a, 8), 8);
  store<u64>(KEY, load<u64>(b), 16);
  store<u64>(KEY, load<u64>(b, 8), 24);
  store<u16>(KEY, <u16>(srcIsA ? sport : dport), 32);
  store<u16>(KEY, <u16>(srcIsA ? dport : sport), 34);
  store<u8>(KEY, <u8>proto, 36);
  store<u8>(KEY, keyFlags, 37);
  store<u16>(KEY, observer, 38);
  return hashKey(KEY);
}

/** A fragment without ports: no flow key of its own (fragments.ts finds its datagram's flow). */
// @ts-ignore: decorator
@inline function portlessFragment(r: LineRecord): bool {
  return r.fragment && !r.hasPorts;
}

/**
 * Counts the line as a packet of its flow (created if new) and returns that flow. KEY and
 * srcIsA hold the line's flow key, hashing to kh (packet built it), unless it is a port-less
 * fragment.
 */
function countPacket(observer: u16, hs: u32, h: Observer, ifId: u16, kh: u32): Flow {
  const r = line;
  const t = r.timeUs;
  const proto = r.proto;
  const count = <u64>r.count;
  const bytes = count * <u64>r.plen;
  counters.packetsIn += count;
  counters.bytesIn += bytes;
  counters.flowLines++;
  flowCreated = false;
  // Timers run on the host's clock, not on this line's own time: a line a relay delivered
  // late would otherwise see its flow expire on arrival, and an outlier line (lineTime) must
  // not set a timer years away. Reported times are the packets'.
  const now = hostClock(h);

  if (portlessFragment(r)) {
    const f = fragmentFlow(hs);
    if (f !== null) {
      countLine(f, fromOriginator(f), r.count, bytes, t, ifId);
      if (t > f.endUs && (f.flags & FLOW_CLOSED) == 0) f.endUs = t;
      return f;
    }
    // its datagram is not open: a port-less flow of its own
    kh = buildKey(LINE_SRC, LINE_DST, proto, r.isV6, r.hasPorts, r.sport, r.dport, observer);
  }

  const isIcmp = proto == PROTO_ICMP || proto == PROTO_ICMPV6;
  const lineIsA = srcIsA;
  const flags = r.tcpFlags;
  const isTcp = proto == PROTO_TCP && r.hasPorts;
  const freshSyn = isTcp && (flags & (TH_SYN | TH_ACK)) == TH_SYN;
  let f = tableFind(KEY, kh);
  if (f !== null) {
    if (f.timerUs + timeoutOf(<u32>f.timerClass) <= now) {
      // expired but not swept yet (its list was out of time order)
      emit(f, f.timerClass == <u8>TIMER_CLOSING ? END_OF_FLOW : END_IDLE_TIMEOUT);
      f = null;
    } else if (freshSyn && (f.flags & FLOW_CLOSED) != 0) {
      // a new connection on a tuple whose close completed (port reuse)
      emit(f, END_OF_FLOW);
      f = null;
    } else if (config.activeTimeoutUs > 0 && t - f.firstUs >= config.activeTimeoutUs) {
      continueFlow(f, t);
    }
  }
  let fromOrig: bool;
  if (f === null) {
    f = newFlow(kh, lineIsA, t);
    fromOrig = (f.flags & FLOW_FLIPPED) == 0;
  } else {
    fromOrig = lineIsA == (f.origIsB == 0);
  }
  countLine(f, fromOrig, r.count, bytes, t, ifId);
  if (r.quoted) icmpError(observer, r);
  if (proto == PROTO_UDP || proto == PROTO_ICMP) mayBeFirstFragment(hs, f, t);

  if (isTcp) {
    tcpPacket(f, h, fromOrig, flags, t, now);
  } else {
    if (t > f.endUs) f.endUs = t;
    if (proto == PROTO_UDP) {
      addHistory(f, 0x44, fromOrig); // UDP: every packet is "data" (UDP.cc L180-189)
      f.flags |= fromOrig ? FLOW_ORIG_DATA : FLOW_RESP_DATA;
      schedule(f, h, TIMER_UDP, now);
    } else if (proto == PROTO_TCP) {
      // short or fragment TCP without ports: counted, no state machine
      schedule(f, h, TIMER_TCP_ESTABLISHED, now);
    } else {
      schedule(f, h, isIcmp ? TIMER_ICMP : TIMER_OTHER, now);
    }
  }
  return f;
}

/** A new flow for the key in KEY (hash kh), started by the current line at time t. */
function newFlow(kh: u32, lineIsA: bool, t: i64): Flow {
  const r = line;
  const proto = r.proto;
  if (tableFull()) evictOldest();
  const f = tableInsert(KEY, kh);
  flowCreated = true;
  f.firstUs = t;
  f.lastUs = t;
  f.endUs = t;
  // Originator: the first packet's sender, with Zeek's corrections (§1.4).
  let flip = false;
  if (proto == PROTO_TCP && r.hasPorts) {
    const flags = r.tcpFlags;
    if ((flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) flip = true;
    else if ((flags & TH_SYN) == 0) flip = serverSideFirst(r.sport, r.dport, true);
  } else if (proto == PROTO_UDP && r.hasPorts) {
    flip = serverSideFirst(r.sport, r.dport, false);
  }
  // origIsB: the originator is endpoint B
  f.origIsB = (lineIsA == flip) ? 1 : 0;
  if (flip) {
    f.flags |= FLOW_FLIPPED; // Zeek's '^' history marker
  }
  if ((proto == PROTO_ICMP || proto == PROTO_ICMPV6) && r.hasPorts) {
    f.icmpType = <u8>r.icmpType;
    f.icmpCode = <u8>r.icmpCode;
  }
  if (r.ruleLen > 0) f.rule = intern(r.rulePtr, r.ruleLen);
  if (r.action == ACT_LOG) f.flags |= FLOW_RULE_FROM_LOG;
  return f;
}

/**
 * An ICMP error (unreach, time exceeded, parameter problem, redirect, source quench) stays
 * counted in its own ICMP flow, as Zeek counts it; the flow of the packet it quotes notes it
 * too (ipmon.icmp_error), if that flow is open.
 */
function icmpError(observer: u16, r: LineRecord): void {
  const kh = buildKey(LINE_QSRC, LINE_QDST, r.qProto, false, r.qHasPorts, r.qSport, r.qDport, observer);
  const f = tableFind(KEY, kh);
  if (f === null) return;
  if (f.icmpErrCount < 0xffff) f.icmpErrCount++;
  f.icmpErrType = <u8>r.icmpType;
  f.icmpErrCode = <u8>r.icmpCode;
}

// A datagram is fragmented only when it is larger than the path's MTU; smaller ones are not
// worth remembering. A first fragment carries a multiple of 8 data bytes (the offset unit).
// @ts-ignore: decorator
@inline const FRAG_MIN_PLEN: u32 = 576;

/**
 * A UDP or ICMP packet with its ports (or type) that may be the first fragment of a datagram:
 * remembered, so that its tails go to its flow (fragments.ts). TCP avoids fragmenting (path
 * MTU discovery); UDP does not (DNS, DNSCrypt, NFS, IKE, SNMP), nor large pings.
 */
function mayBeFirstFragment(hs: u32, f: Flow, t: i64): void {
  const r = line;
  if (!r.hasPorts || r.isV6 || r.plen < FRAG_MIN_PLEN || r.plen <= r.hl || ((r.plen - r.hl) & 7) != 0) return;
  fragmentFirst(LINE_SRC, LINE_DST, hs, r.proto, r.plen - r.hl, t, slotOf(f), f.generation);
}

/** The open flow of the datagram a port-less fragment belongs to, or null. */
function fragmentFlow(hs: u32): Flow | null {
  const r = line;
  if (r.isV6 || (r.proto != PROTO_UDP && r.proto != PROTO_ICMP)) return null;
  const d = fragmentTail(LINE_SRC, LINE_DST, hs, r.proto, r.fragHasId, r.fragId, r.fragOff, r.fragLen, r.fragMore, r.timeUs);
  if (d < 0) return null;
  const g = datagramAt(<u32>d);
  return slotIsLive(g.flowSlot, g.flowGen) ? flowAt(g.flowSlot) : null;
}

/** The intern.ts id of an interface name, with the last few names remembered: hosts log on few interfaces. */
function interfaceId(ptr: usize, n: i32): u16 {
  return cachedName(IF_CACHE, ptr, n, false);
}

// @ts-ignore: decorator
@inline const NAME_CACHE_WAYS: usize = 4;
// @ts-ignore: decorator
@inline const NAME_CACHE_BYTES: usize = NAME_CACHE_WAYS * 2 + 2;

// A name cache: the intern.ts ids of the last names seen of one kind, replaced in turn.
//   [ id0 u16 | id1 u16 | id2 u16 | id3 u16 | next way u16 ]
const IF_CACHE: usize = memory.data(<i32>NAME_CACHE_BYTES);
const OBSERVER_CACHE: usize = memory.data(<i32>NAME_CACHE_BYTES);

/** The intern.ts id of the name at (ptr, n), looked up in `cache` first. */
function cachedName(cache: usize, ptr: usize, n: i32, observer: bool): u16 {
  for (let i: usize = 0; i < NAME_CACHE_WAYS; i++) {
    const id = load<u16>(cache + (i << 1));
    if (id != EMPTY_ID && nameLen(id) == n && memory.compare(namePtr(id), ptr, <usize>n) == 0) return id;
  }
  const id = intern(ptr, n, observer);
  if (id != OVERFLOW_ID && id != EMPTY_ID) {
    const way = <usize>load<u16>(cache + NAME_CACHE_WAYS * 2);
    store<u16>(cache + (way << 1), id);
    store<u16>(cache + NAME_CACHE_WAYS * 2, <u16>((way + 1) & (NAME_CACHE_WAYS - 1)));
  }
  return id;
}

function tcpPacket(f: Flow, h: Observer, fromOrig: bool, flags: u32, t: i64, now: i64): void {
  const r = line;
  // Data, without the TCP header length: PSH, or more than the largest TCP header (60 bytes)
  // beyond the IP header (flow-semantics.md §5.1 item 3).
  const hasData = (flags & TH_PUSH) != 0 || (r.plen > r.hl && r.plen - r.hl > 60);
  if (fromOrig) f.origTcpFlags |= <u8>flags;
  else f.respTcpFlags |= <u8>flags;
  if (hasData) f.flags |= fromOrig ? FLOW_ORIG_DATA : FLOW_RESP_DATA;
  if (fromOrig && (flags & (TH_SYN | TH_ACK)) == TH_SYN) f.flags |= FLOW_SYN_SEEN;
  const letter = tcpHistoryLetter(flags, hasData);
  if (letter != 0) addHistory(f, letter, fromOrig);
  const wasEnded = bothEnded(f);
  const completed = tcpUpdate(f, fromOrig, flags, hasData);
  // Zeek stops the duration once both sides have closed: trailing ACKs count, time does not.
  if (!wasEnded && t > f.endUs) f.endUs = t;
  if (completed) {
    f.flags |= FLOW_CLOSED;
    schedule(f, h, TIMER_CLOSING, now);
    return;
  }
  if ((f.flags & FLOW_CLOSED) != 0) return; // stays on the closing timer
  const os = f.origState;
  const rs = f.respState;
  let c = TIMER_TCP_ESTABLISHED;
  if ((os == TCP_SYN_SENT || os == TCP_SYN_ACK_SENT) && rs == TCP_INACTIVE) {
    const was = <u32>f.timerClass;
    const attempting = was == TIMER_TCP_ATTEMPT || (was >= TIMER_TCP_RETRY && was < TIMER_CLASSES);
    // Zeek: the attempt ends tcp_attempt_timeout after its first SYN, whatever follows
    if (attempting && config.synRetryZeek) return;
    // the longest gap so far decides: a copy of a SYN microseconds later (its egress line on a
    // host not paired as a router, a relay's duplicate) must not shorten the backoff's timer
    c = attempting ? max(was, retryClass(now - f.timerUs)) : TIMER_TCP_ATTEMPT;
  } else if (os <= TCP_SYN_ACK_SENT && rs <= TCP_SYN_ACK_SENT) {
    c = TIMER_TCP_HANDSHAKE;
  }
  schedule(f, h, c, now);
}

/** The timer class of an unanswered attempt whose last SYN came `gap` µs after the one before. */
function retryClass(gap: i64): u32 {
  let k: u32 = 0;
  while (k + 1 < RETRY_LEVELS && gap > (<i64>1 << k) * US_PER_SECOND) k++;
  return TIMER_TCP_RETRY + k;
}

/** Adds one log line (count packets, bytes) to a flow from one side. */
function countLine(f: Flow, fromOrig: bool, count: u32, bytes: u64, t: i64, ifId: u16): void {
  const r = line;
  // a slot counts packets in u32 (flowtable.ts): a sum past it goes on in a continued record
  if ((fromOrig ? f.origPackets : f.respPackets) > u32.MAX_VALUE - count) continueFlow(f, t);
  f.lines++;
  if (t > f.lastUs) f.lastUs = t;
  f.actions |= r.action;
  noteInterface(f, fromOrig, r.dir, ifId);
  if (fromOrig) {
    f.origPackets += count;
    f.origBytes += bytes;
  } else {
    f.respPackets += count;
    f.respBytes += bytes;
  }
}

/** Zeek's likely_server_ports heuristic for a first packet without a SYN (§1.4 items 2, 5). */
function serverSideFirst(sport: u32, dport: u32, tcp: bool): bool {
  const s = tcp ? isTcpServerPort(sport) : isUdpServerPort(sport);
  const d = tcp ? isTcpServerPort(dport) : isUdpServerPort(dport);
  if (s && !d) return true;
  if (s && d && tcp) return sport < dport;
  return false;
}

/**
 * Reports the flow so far (as an active timeout does) and goes on with it as a new record with
 * fresh counters from time t.
 */
function continueFlow(f: Flow, t: i64): void {
  writeFlow(f, END_ACTIVE_TIMEOUT);
  counters.flowsEmitted++;
  restartCounters(f, t);
}

/** After an active-timeout report the flow goes on as a new record with fresh counters. */
function restartCounters(f: Flow, t: i64): void {
  f.firstUs = t;
  f.endUs = t;
  f.origPackets = f.respPackets = 0;
  f.origBytes = f.respBytes = 0;
  f.lines = 0;
  f.flags |= FLOW_CONTINUED;
}

// ── stats ────────────────────────────────────────────────────────────────────────────────────

/** Writes the stats record: where every line went, and the table's health. */
export function writeStats(): void {
  ensureEngine();
  beginRecord();
  putAscii('{');
  if (streamUs > 0) {
    putAscii('"@timestamp":"');
    putIsoTime(streamUs);
    putAscii('",');
  }
  putAscii('"ecs":{"version":"8.17.0"},"event":{"kind":"metric","module":"ipmon","dataset":"ipmon.stats","id":"');
  putRecordId(changetype<usize>(counters), offsetof<Counters>(), <u64>streamUs);
  putAscii('"},"ipmon":{"record_type":"stats","stats":{');
  putAscii('"lines_read":'); putU64(counters.linesRead);
  putAscii(',"blank_lines":'); putU64(counters.blankLines);
  putAscii(',"packet_lines":'); putU64(counters.packetLines);
  putAscii(',"flow_lines":'); putU64(counters.flowLines);
  putAscii(',"folded_lines":'); putU64(counters.foldedOutLines + counters.foldedLogLines + counters.foldedDecisionLines);
  putAscii(',"folded_out_lines":'); putU64(counters.foldedOutLines);
  putAscii(',"folded_log_lines":'); putU64(counters.foldedLogLines);
  putAscii(',"folded_decision_lines":'); putU64(counters.foldedDecisionLines);
  putAscii(',"uncorrelated_lines":'); putU64(counters.uncorrelatedLines);
  putAscii(',"other_lines":'); putU64(counters.otherLines);
  putAscii(',"state_lines":'); putU64(counters.stateLines);
  putAscii(',"nat_lines":'); putU64(counters.natLines);
  putAscii(',"missed_lines":'); putU64(counters.missedLines);
  putAscii(',"missed_entries":'); putU64(counters.missedEntries);
  putAscii(',"hexdump_lines":'); putU64(counters.hexLines);
  putAscii(',"status_lines":'); putU64(counters.statusLines);
  putAscii(',"unparsed_lines":'); putU64(counters.unparsedLines);
  putAscii(',"packets":'); putU64(counters.packetsIn);
  putAscii(',"bytes":'); putU64(counters.bytesIn);
  putAscii(',"flows_emitted":'); putU64(counters.flowsEmitted);
  putAscii(',"flows_without_reply":'); putU64(counters.flowsWithoutReply);
  putAscii(',"clock_steps":'); putU64(counters.clockSteps);
  putAscii(',"clock_outliers":'); putU64(counters.clockOutliers);
  putAscii(',"routers_judged":'); putU64(counters.routersJudged);
  putAscii(',"scan_records":'); putU64(scanRecords);
  putAscii(',"scan_episodes":'); putU64(scanEpisodes);
  putAscii(',"scans_tracked":'); putU64(scansUsed());
  putAscii(',"scan_candidates_evicted":'); putU64(candidatesEvicted);
  putAscii(',"flows_open":'); putU64(tableUsed());
  putAscii(',"evictions":'); putU64(counters.evictions);
  putAscii(',"table_high_water":'); putU64(tableHighWater());
  putAscii(',"table_probe_steps":'); putU64(tableProbeSteps());
  putAscii(',"table_capacity":'); putU64(config.capacity);
  putAscii(',"table_bytes":'); putU64(tableBytes());
  putAscii('}}}');
  endRecord();
}
