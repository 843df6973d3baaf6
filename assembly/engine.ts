// The correlator: turns parsed lines into flows and decides when each flow is reported.
// Host-agnostic: hosts feed lines and clock ticks, and read the records from output.ts.
//
// Time is event time — the log line's own timestamp — never the wall clock, so a replayed
// log gives the same flows as a live one. The engine clock is the latest time seen.

import * as config from "./config";
import {
  Flow, FLOW_CLOSED, FLOW_CONTINUED, FLOW_FLIPPED, FLOW_ORIG_DATA, FLOW_RESP_DATA, FLOW_SYN_SEEN, KEY_ONE_WAY, KEY_PORTS,
  KEY_V6, NIL, TIMER_CLASSES, TIMER_CLOSING, TIMER_ICMP, TIMER_OTHER, TIMER_TCP_ATTEMPT, TIMER_TCP_ESTABLISHED,
  TIMER_TCP_HANDSHAKE, TIMER_UDP, listAppend, listHead, tableFind, tableFull, tableInit, tableInsert,
  tableRemove, tableUsed, tableHighWater, slotOf, flowAt, slotIsLive,
} from "./flows/flowtable";
import { hashKey } from "./flows/hash";
import { icmpCounterpart } from "./parse/icmp";
import { intern, nameLen, namePtr, EMPTY_ID, OVERFLOW_ID } from "./flows/intern";
import {
  DIR_IN, DIR_OUT, KIND_BLANK, KIND_HEX, KIND_MISSED, KIND_NAT, KIND_PACKET, KIND_STATE, KIND_STATUS, KIND_UNPARSED,
  LINE_DST, LINE_SRC, TH_ACK, TH_PUSH, TH_SYN, line, parseLine, setDateContext, ACT_BLOCK, ACT_PASS, WHY_TOO_MANY_HOSTS,
} from "./parse/line";
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from "./parse/protocols";
import { isTcpServerPort, isUdpServerPort } from "./flows/serverports";
import {
  END_ACTIVE_TIMEOUT, END_FORCED, END_IDLE_TIMEOUT, END_LACK_OF_RESOURCES, END_OF_FLOW, putRecordId, writeFlow, writeForwarded,
} from "./records/summary";
import { addHistory, appendHistoryChar, bothEnded, tcpHistoryLetter, tcpUpdate, TCP_INACTIVE, TCP_SYN_ACK_SENT, TCP_SYN_SENT } from "./flows/tcp";
import { beginRecord, endRecord, putAscii, putU64 } from "./records/output";
import { putIsoTime } from "./parse/clock";

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
}

/** The engine's counters. */
export const counters = changetype<Counters>(memory.data(offsetof<Counters>()));

/** Engine clock: the latest event time seen (µs since the epoch), 0 before the first dated line. */
let clockUs: i64 = 0;
/** No flow can expire before this time; lets the per-line check skip the sweep. */
let nextSweepUs: i64 = i64.MAX_VALUE;

/** The canonical key of the packet being processed (Flow's first 40 bytes). */
const KEY: usize = memory.data(40);

// ── fragments ────────────────────────────────────────────────────────────────────────────────
// Only the first fragment of a datagram shows ports, and ipmon prints it with no fragment
// marker; the rest print `(frag ID:LEN@OFF)` without ports (ipmon-format.md §4.5 case 5, §4.6).
// So the flow of every large packet is remembered by (observer, src, dst, proto), and a later
// port-less fragment is counted in the flow of the last large packet between the same hosts in
// the same direction. A direct-mapped cache: slot number and generation per entry.
//
//   FRAG_CACHE ┌──────────┬──────────┐ × FRAG_ENTRIES
//              │ slot u32 │ gen u32  │
//              └──────────┴──────────┘
// @ts-ignore: decorator
@inline const FRAG_ENTRIES: u32 = 4096;
// @ts-ignore: decorator
@inline const FRAG_MIN_PLEN: u32 = 576; // smaller datagrams are not fragmented in practice
const FRAG_CACHE: usize = memory.data(<i32>FRAG_ENTRIES * 8);
const FRAG_KEY: usize = memory.data(40);

function fragmentKeyHash(observer: u16, proto: u32, v6: bool): u32 {
  memory.copy(FRAG_KEY, LINE_SRC, 16);
  memory.copy(FRAG_KEY + 16, LINE_DST, 16);
  store<u32>(FRAG_KEY, 0, 32);
  store<u8>(FRAG_KEY, <u8>proto, 36);
  store<u8>(FRAG_KEY, v6 ? 1 : 0, 37);
  store<u16>(FRAG_KEY, observer, 38);
  return hashKey(FRAG_KEY);
}

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
  tableInit(config.capacity);
  // neither a year nor a reference time: 1970, so the result never depends on when it runs
  const year = config.year == 0 && config.referenceTimeUs == 0 ? 1970 : config.year;
  setDateContext(year, config.utcOffsetMinutes, config.utcOffsetSet, config.referenceTimeUs);
  memory.fill(changetype<usize>(counters), 0, offsetof<Counters>());
  clockUs = 0;
  pendingJumpUs = 0;
  nextSweepUs = i64.MAX_VALUE;
}

/** The engine clock. */
export function engineClock(): i64 {
  return clockUs;
}

/** Makes the next line or tick re-plan the sweep (after a timeout setting changed). */
export function replanSweep(): void {
  nextSweepUs = 0;
}

/** Sets the clock from a snapshot; the next line or tick re-plans the sweep. */
export function restoreClock(t: i64): void {
  clockUs = t;
  nextSweepUs = 0;
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
  if (r.hasTime) lineTime(r.timeUs);
  const observer = r.observerLen > 0 ? observerId(r.observerPtr, r.observerLen) : EMPTY_ID;
  if (kind == KIND_PACKET) {
    counters.packetLines++;
    if (observer == OVERFLOW_ID && r.why == 0) r.why = WHY_TOO_MANY_HOSTS;
    if (r.why == 0) {
      packet(observer);
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
  writeForwarded(r, start, n, kind, r.why, observer, clockUs);
}

/** Interned id of the logging host; consecutive lines nearly always share it, so remember the last. */
let lastObserver: u16 = EMPTY_ID;
function observerId(ptr: usize, n: i32): u16 {
  if (lastObserver != EMPTY_ID && nameLen(lastObserver) == n && memory.compare(namePtr(lastObserver), ptr, <usize>n) == 0) {
    return lastObserver;
  }
  lastObserver = intern(ptr, n, true);
  return lastObserver;
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

/** Time of an unconfirmed clock jump (a line far from the clock), 0 if none. */
let pendingJumpUs: i64 = 0;

/**
 * Moves the clock by a log line's time. One line far ahead or behind the clock (a typo'd date,
 * a host with a broken clock) would otherwise expire every open flow, or freeze every timer:
 * it moves the clock only when the next line confirms the new time (a real gap in the log, or
 * a clock stepped by NTP). Until then it is counted as an outlier and timed on the clock.
 */
function lineTime(t: i64): void {
  const maxStep = config.maxClockStepUs;
  if (clockUs == 0 || maxStep == 0) {
    advanceClock(t);
    return;
  }
  const offset = t - clockUs;
  if (offset <= maxStep && offset >= -maxStep) {
    pendingJumpUs = 0;
    advanceClock(t);
    return;
  }
  const d = t - pendingJumpUs;
  if (pendingJumpUs != 0 && d <= maxStep && d >= -maxStep) {
    pendingJumpUs = 0;
    counters.clockSteps++;
    if (offset > 0) advanceClock(t);
    else stepBack(t);
    return;
  }
  pendingJumpUs = t;
  counters.clockOutliers++;
}

/** The log's clock went back (and stayed back): every timer moves back with it, keeping order. */
function stepBack(t: i64): void {
  const delta = clockUs - t;
  for (let c: u32 = 0; c < TIMER_CLASSES; c++) {
    let f = listHead(c);
    while (f !== null) {
      f.timerUs -= delta;
      f = f.next == NIL ? null : flowAt(f.next);
    }
  }
  clockUs = t;
  nextSweepUs = 0;
}

/** Moves the clock forward to t (never back) and reports the flows that expired by then. */
export function advanceClock(t: i64): void {
  ensureEngine();
  if (t > clockUs) clockUs = t;
  if (clockUs >= nextSweepUs) sweep();
}

/** Reports every flow whose deadline is at or before the clock. */
function sweep(): void {
  let next = i64.MAX_VALUE;
  for (let c: u32 = 0; c < TIMER_CLASSES; c++) {
    const timeout = timeoutOf(c);
    while (true) {
      const f = listHead(c);
      if (f === null) break;
      const deadline = f.timerUs + timeout;
      if (deadline > clockUs) {
        if (deadline < next) next = deadline;
        break;
      }
      emit(f, c == TIMER_CLOSING ? END_OF_FLOW : END_IDLE_TIMEOUT);
    }
  }
  nextSweepUs = next;
}

function timeoutOf(c: u32): i64 {
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

/** Puts a flow on timer list c at time t and keeps the sweep schedule right. */
function schedule(f: Flow, c: u32, t: i64): void {
  listAppend(f, c, t);
  const deadline = t + timeoutOf(c);
  if (deadline < nextSweepUs) nextSweepUs = deadline;
}

function emit(f: Flow, reason: u8): void {
  writeFlow(f, reason);
  counters.flowsEmitted++;
  if (f.respPackets == 0) counters.flowsWithoutReply++;
  tableRemove(f);
}

/** Reports every open flow with end reason "forced end" (end of input, shutdown). */
export function flushAll(): void {
  ensureEngine();
  for (let c: u32 = 0; c < TIMER_CLASSES; c++) {
    while (true) {
      const f = listHead(c);
      if (f === null) break;
      emit(f, END_FORCED);
    }
  }
  nextSweepUs = i64.MAX_VALUE;
}

/** Evicts the least recently seen flow (table full): reported, never dropped. */
export function evictOldest(): void {
  let oldest: Flow | null = null;
  for (let c: u32 = 0; c < TIMER_CLASSES; c++) {
    const f = listHead(c);
    if (f !== null && (oldest === null || f.lastUs < oldest.lastUs)) oldest = f;
  }
  if (oldest !== null) {
    counters.evictions++;
    emit(oldest, END_LACK_OF_RESOURCES);
  }
}

// ── packet → flow ────────────────────────────────────────────────────────────────────────────

function packet(observer: u16): void {
  const r = line;
  const t = r.timeUs;
  const proto = r.proto;
  const count = <u64>r.count;
  const bytes = count * <u64>r.plen;
  counters.packetsIn += count;
  counters.bytesIn += bytes;
  counters.flowLines++;

  if (r.fragment && !r.hasPorts && fragmentIntoFlow(observer, count, bytes, t)) return;

  // Key ports: TCP/UDP ports; ICMP (type, counterpart type) or (type, code) one-way (§2.2).
  let sport: u32 = 0;
  let dport: u32 = 0;
  let keyFlags: u8 = r.isV6 ? KEY_V6 : 0;
  const isIcmp = proto == PROTO_ICMP || proto == PROTO_ICMPV6;
  if (r.hasPorts) {
    keyFlags |= KEY_PORTS;
    if (isIcmp) {
      const cp = icmpCounterpart(<u32>r.icmpType, proto == PROTO_ICMPV6);
      sport = <u32>r.icmpType;
      if (cp < 0) {
        dport = <u32>r.icmpCode;
        keyFlags |= KEY_ONE_WAY;
      } else {
        dport = <u32>cp;
      }
    } else {
      sport = r.sport;
      dport = r.dport;
    }
  }
  // Canonical order: the smaller (address, port) is endpoint A, unless one-way ICMP.
  let srcIsA = true;
  if ((keyFlags & KEY_ONE_WAY) == 0) {
    const s0 = bswap<u64>(load<u64>(LINE_SRC));
    const d0 = bswap<u64>(load<u64>(LINE_DST));
    if (s0 != d0) srcIsA = s0 < d0;
    else {
      const s1 = bswap<u64>(load<u64>(LINE_SRC, 8));
      const d1 = bswap<u64>(load<u64>(LINE_DST, 8));
      if (s1 != d1) srcIsA = s1 < d1;
      else srcIsA = sport <= dport;
    }
  }
  const a = srcIsA ? LINE_SRC : LINE_DST;
  const b = srcIsA ? LINE_DST : LINE_SRC;
  store<u64>(KEY, load<u64>(a));
  store<u64>(KEY, load<u64>(a, 8), 8);
  store<u64>(KEY, load<u64>(b), 16);
  store<u64>(KEY, load<u64>(b, 8), 24);
  store<u16>(KEY, <u16>(srcIsA ? sport : dport), 32);
  store<u16>(KEY, <u16>(srcIsA ? dport : sport), 34);
  store<u8>(KEY, <u8>proto, 36);
  store<u8>(KEY, keyFlags, 37);
  store<u16>(KEY, observer, 38);
  const h = hashKey(KEY);
  // Timers run on the engine clock, not on this line's own time: with several firewalls in
  // one stream a host whose clock lags would otherwise see its flows expire on arrival, and an
  // outlier line (lineTime) must not set a timer years away. Reported times are the packets'.
  const now = clockUs;

  const flags = r.tcpFlags;
  const isTcp = proto == PROTO_TCP && (keyFlags & KEY_PORTS) != 0;
  const freshSyn = isTcp && (flags & (TH_SYN | TH_ACK)) == TH_SYN;
  let f = tableFind(KEY, h);
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
      writeFlow(f, END_ACTIVE_TIMEOUT);
      counters.flowsEmitted++;
      restartCounters(f, t);
    }
  }
  let fromOrig: bool;
  if (f === null) {
    if (tableFull()) evictOldest();
    f = tableInsert(KEY, h);
    f.firstUs = t;
    f.lastUs = t;
    f.endUs = t;
    // Originator: the first packet's sender, with Zeek's corrections (§1.4).
    let flip = false;
    if (isTcp) {
      if ((flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) flip = true;
      else if ((flags & TH_SYN) == 0) flip = serverSideFirst(r.sport, r.dport, true);
    } else if (proto == PROTO_UDP && (keyFlags & KEY_PORTS) != 0) {
      flip = serverSideFirst(r.sport, r.dport, false);
    }
    // origIsB: the originator is endpoint B
    f.origIsB = (srcIsA == flip) ? 1 : 0;
    if (flip) {
      f.flags |= FLOW_FLIPPED;
      appendHistoryChar(f, 0x5e); // ^
    }
    if (isIcmp) {
      f.icmpType = <u8>r.icmpType;
      f.icmpCode = <u8>r.icmpCode;
    }
    if (r.ruleLen > 0) f.rule = intern(r.rulePtr, r.ruleLen);
    fromOrig = !flip;
  } else {
    fromOrig = srcIsA == (f.origIsB == 0);
  }

  // UDP only: TCP avoids fragmenting (path MTU discovery), UDP does not (DNS, NFS, IKE, SNMP)
  if (proto == PROTO_UDP && r.plen >= FRAG_MIN_PLEN && (keyFlags & KEY_PORTS) != 0) {
    const e = FRAG_CACHE + <usize>((fragmentKeyHash(observer, proto, r.isV6) & (FRAG_ENTRIES - 1)) << 3);
    store<u32>(e, slotOf(f));
    store<u32>(e, f.generation, 4);
  }

  countLine(f, fromOrig, count, bytes, t);

  if (isTcp) {
    tcpPacket(f, fromOrig, flags, t, now);
  } else {
    if (t > f.endUs) f.endUs = t;
    if (proto == PROTO_UDP) {
      addHistory(f, 0x44, fromOrig); // UDP: every packet is "data" (UDP.cc L180-189)
      f.flags |= fromOrig ? FLOW_ORIG_DATA : FLOW_RESP_DATA;
      schedule(f, TIMER_UDP, now);
    } else if (proto == PROTO_TCP) {
      // short or fragment TCP without ports: counted, no state machine
      schedule(f, TIMER_TCP_ESTABLISHED, now);
    } else {
      schedule(f, isIcmp ? TIMER_ICMP : TIMER_OTHER, now);
    }
  }
}

function tcpPacket(f: Flow, fromOrig: bool, flags: u32, t: i64, now: i64): void {
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
    schedule(f, TIMER_CLOSING, now);
    return;
  }
  if ((f.flags & FLOW_CLOSED) != 0) return; // stays on the closing timer
  const os = f.origState;
  const rs = f.respState;
  let c = TIMER_TCP_ESTABLISHED;
  if ((os == TCP_SYN_SENT || os == TCP_SYN_ACK_SENT) && rs == TCP_INACTIVE) c = TIMER_TCP_ATTEMPT;
  else if (os <= TCP_SYN_ACK_SENT && rs <= TCP_SYN_ACK_SENT) c = TIMER_TCP_HANDSHAKE;
  schedule(f, c, now);
}

/** Counts a port-less fragment in the flow of its first fragment, if that flow is still open. */
function fragmentIntoFlow(observer: u16, count: u64, bytes: u64, t: i64): bool {
  const r = line;
  const e = FRAG_CACHE + <usize>((fragmentKeyHash(observer, r.proto, r.isV6) & (FRAG_ENTRIES - 1)) << 3);
  const slot = load<u32>(e);
  const gen = load<u32>(e, 4);
  if (gen == 0 || !slotIsLive(slot, gen)) return false;
  const f = flowAt(slot);
  if (<u32>f.proto != r.proto || f.observer != observer) return false;
  const base = changetype<usize>(f);
  const origAddr = f.origIsB ? base + 16 : base;
  const respAddr = f.origIsB ? base : base + 16;
  let fromOrig: bool;
  if (memory.compare(origAddr, LINE_SRC, 16) == 0 && memory.compare(respAddr, LINE_DST, 16) == 0) fromOrig = true;
  else if (memory.compare(respAddr, LINE_SRC, 16) == 0 && memory.compare(origAddr, LINE_DST, 16) == 0) fromOrig = false;
  else return false; // a hash collision with another pair of hosts
  countLine(f, fromOrig, count, bytes, t);
  if (t > f.endUs && (f.flags & FLOW_CLOSED) == 0) f.endUs = t;
  return true;
}

/** Adds one log line (count packets, bytes) to a flow from one side. */
function countLine(f: Flow, fromOrig: bool, count: u64, bytes: u64, t: i64): void {
  const r = line;
  f.lines++;
  if (t > f.lastUs) f.lastUs = t;
  f.actions |= r.action;
  if (r.dir == DIR_IN) {
    if (f.ingressIf == EMPTY_ID) f.ingressIf = intern(r.ifPtr, r.ifLen);
  } else if (r.dir == DIR_OUT) {
    if (f.egressIf == EMPTY_ID) f.egressIf = intern(r.ifPtr, r.ifLen);
  }
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
  if (clockUs > 0) {
    putAscii('"@timestamp":"');
    putIsoTime(clockUs);
    putAscii('",');
  }
  putAscii('"ecs":{"version":"8.17.0"},"event":{"kind":"metric","module":"ipmon","dataset":"ipmon.stats","id":"');
  putRecordId(changetype<usize>(counters), offsetof<Counters>(), <u64>clockUs);
  putAscii('"},"ipmon":{"record_type":"stats","stats":{');
  putAscii('"lines_read":'); putU64(counters.linesRead);
  putAscii(',"blank_lines":'); putU64(counters.blankLines);
  putAscii(',"packet_lines":'); putU64(counters.packetLines);
  putAscii(',"flow_lines":'); putU64(counters.flowLines);
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
  putAscii(',"flows_open":'); putU64(tableUsed());
  putAscii(',"evictions":'); putU64(counters.evictions);
  putAscii(',"table_high_water":'); putU64(tableHighWater());
  putAscii(',"table_capacity":'); putU64(config.capacity);
  putAscii('}}}');
  endRecord();
}
