// The scan stage: every reported flow is an attempt of its originator; failed ones build up
// candidates (flows/scans.ts) until a threshold turns one into an episode with a record of its
// own (records/scanrecord.ts). Called by engine.ts where flows are reported and swept; event
// time throughout, each logging host on its own clock.

import * as config from "./config";
import { Flow, FLOW_CONTINUED, FLOW_ORIG_DATA, FLOW_RESP_DATA, KEY_PORTS, KEY_V6, originatorAddr, responderAddr, responderPort } from "./flows/flowtable";
import { hashKey } from "./flows/hash";
import { observersUsed } from "./flows/observers";
import {
  addTarget, distinctTargets, listHead, OUTCOME_ANSWERED, OUTCOME_BLOCKED, OUTCOME_REJECTED, OUTCOME_UNANSWERED,
  restartWindow, Scan, scanAt, SCAN_ADDRESS, SCAN_HAS_PORT, SCAN_ICMP, SCAN_KEY, scanFind, scanInsert, scanKeyHash,
  SCAN_PORT, SCAN_REPORTED, scanRemove, scansInit, SCAN_TCP, scanTouch, SCAN_UDP, SCAN_V6,
} from "./flows/scans";
import { CS_REJ, tcpConnState } from "./flows/tcp";
import { ACT_BLOCK } from "./parse/line";
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from "./parse/protocols";
import { writeScan } from "./records/scanrecord";

/** Scan records written (both records of an episode count). */
export let scanRecords: u64 = 0;
/** Episodes: sources that crossed a threshold. */
export let scanEpisodes: u64 = 0;

// ICMP echo requests: the probes of a ping sweep
// @ts-ignore: decorator
@inline const ICMP_ECHO: u8 = 8;
// @ts-ignore: decorator
@inline const ICMPV6_ECHO: u8 = 128;

/** Forgets every candidate and episode (engine start). */
export function scannerInit(): void {
  scansInit();
  scanRecords = 0;
  scanEpisodes = 0;
}

const sampleScratch: usize = memory.data(16);
/** An IPv6 target in a zeroed 40-byte key, for its keyed hash. */
const v6Scratch: usize = memory.data(40);

/**
 * A reported flow, as an attempt of its originator on host hs, whose clock stands at now.
 * Returns when the host's scans next need a look (i64.MAX_VALUE if the flow noted none).
 */
export function scanAttempt(f: Flow, hs: u32, now: i64): i64 {
  if (!config.scanDetection || (f.flags & FLOW_CONTINUED) != 0 || (f.keyFlags & KEY_PORTS) == 0) return i64.MAX_VALUE;
  const proto = <u32>f.proto;
  let bit: u8 = 0;
  if (proto == PROTO_TCP) bit = SCAN_TCP;
  else if (proto == PROTO_UDP) bit = SCAN_UDP;
  else if ((proto == PROTO_ICMP && f.icmpType == ICMP_ECHO) || (proto == PROTO_ICMPV6 && f.icmpType == ICMPV6_ECHO)) bit = SCAN_ICMP;
  else return i64.MAX_VALUE;
  const outcome = outcomeOf(f, proto);
  const orig = originatorAddr(f);
  const resp = responderAddr(f);
  const respPort = bit == SCAN_ICMP ? <u32>0 : responderPort(f);
  const v6 = (f.keyFlags & KEY_V6) != 0;
  let noted = false;
  if (bit != SCAN_ICMP) {
    keyOf(orig, resp, 0, 0, SCAN_PORT, f.observer);
    memory.fill(sampleScratch, 0, 16);
    store<u16>(sampleScratch, <u16>respPort);
    noted = note(hs, now, f.firstUs, f.lastUs, outcome, bit, v6, (proto << 16) | respPort, config.portScanThreshold);
  }
  keyOf(orig, 0, respPort, proto, SCAN_ADDRESS, f.observer);
  memory.copy(sampleScratch, resp, 16);
  let target: u32;
  if (v6) {
    memory.copy(v6Scratch, resp, 16);
    target = hashKey(v6Scratch); // stated in the record: exact up to 32-bit collisions
  } else target = bswap<u32>(load<u32>(resp, 12));
  if (note(hs, now, f.firstUs, f.lastUs, outcome, bit, v6, target, config.addressScanThreshold)) noted = true;
  return noted ? f.lastUs + config.scanIntervalUs : i64.MAX_VALUE;
}

/** Blocked, rejected (RST to the SYN, or an ICMP error quoting an unanswered flow), unanswered, answered. */
function outcomeOf(f: Flow, proto: u32): u8 {
  if (f.actions & ACT_BLOCK) return OUTCOME_BLOCKED;
  if (proto == PROTO_TCP && tcpConnState(f, (f.flags & (FLOW_ORIG_DATA | FLOW_RESP_DATA)) == 0) == CS_REJ) return OUTCOME_REJECTED;
  if (f.respPackets == 0) return f.icmpErrCount > 0 ? OUTCOME_REJECTED : OUTCOME_UNANSWERED;
  return OUTCOME_ANSWERED;
}

/** Fills SCAN_KEY; `host` 0 for none (an address scan's key leaves it zero). */
function keyOf(src: usize, host: usize, port: u32, proto: u32, kind: u8, observer: u16): void {
  memory.fill(SCAN_KEY, 0, 40);
  memory.copy(SCAN_KEY, src, 16);
  if (host != 0) memory.copy(SCAN_KEY + 16, host, 16);
  store<u16>(SCAN_KEY, <u16>port, 32);
  store<u8>(SCAN_KEY, <u8>proto, 34);
  store<u8>(SCAN_KEY, kind, 35);
  store<u16>(SCAN_KEY, observer, 36);
}

/**
 * Notes one attempt on the candidate keyed at SCAN_KEY (opening one for a failed attempt) and
 * reports the episode when it reaches `threshold` distinct targets. Returns true if noted.
 */
function note(hs: u32, now: i64, t: i64, last: i64, outcome: u8, bit: u8, v6: bool, target: u32, threshold: u32): bool {
  const h = scanKeyHash();
  let s = scanFind(h);
  if (s === null) {
    if (outcome == OUTCOME_ANSWERED) return false;
    s = scanInsert(h, hs, now, config.scanIntervalUs, endEpisode);
    restartWindow(s, t);
    if (v6) s.flags |= SCAN_V6;
    if (s.kind == SCAN_ADDRESS && bit != SCAN_ICMP) s.flags |= SCAN_HAS_PORT;
  } else if ((s.flags & SCAN_REPORTED) == 0 && t - s.windowUs > config.scanIntervalUs) {
    // the window passed below the threshold: a slow source starts over (Zeek's epochs)
    if (outcome == OUTCOME_ANSWERED) return false;
    restartWindow(s, t);
  }
  count(s, outcome, bit, t, last);
  if (outcome != OUTCOME_ANSWERED) addTarget(s, target, sampleScratch);
  if ((s.flags & SCAN_REPORTED) == 0 && distinctTargets(s) >= threshold) {
    s.flags |= SCAN_REPORTED;
    scanEpisodes++;
    scanRecords++;
    writeScan(s, false);
  }
  return true;
}

function count(s: Scan, outcome: u8, bit: u8, t: i64, last: i64): void {
  s.attempts++;
  if (outcome == OUTCOME_BLOCKED) s.blocked++;
  else if (outcome == OUTCOME_REJECTED) s.rejected++;
  else if (outcome == OUTCOME_UNANSWERED) s.unanswered++;
  else s.answered++;
  s.protocols |= bit;
  if (t < s.firstUs) s.firstUs = t;
  if (t > s.lastUs) s.lastUs = t;
  // an episode ends scan_interval after its last attempt in event time, not after the
  // moment the attempt's flow was reported (5 to 60 s later, by its timeout)
  if (last > s.notedUs) s.notedUs = last;
  scanTouch(s);
}

/** An episode is over (quiet, evicted, end of input): its final record. */
function endEpisode(s: Scan): void {
  scanRecords++;
  writeScan(s, true);
}

/**
 * Ends host hs's episodes and candidates that saw no attempt for scan_interval by its clock
 * `now`; returns when the next one comes due (i64.MAX_VALUE if none).
 */
export function scanSweep(hs: u32, now: i64): i64 {
  const interval = config.scanIntervalUs;
  while (true) {
    const i = listHead(hs);
    if (i == 0xffffffff) return i64.MAX_VALUE;
    const s = scanAt(i);
    const due = s.notedUs + interval;
    if (due > now) return due;
    if (s.flags & SCAN_REPORTED) endEpisode(s);
    scanRemove(s);
  }
}

/** Ends every episode and forgets every candidate (end of input, shutdown without state). */
export function scanFlushAll(): void {
  // every host's scans come due at the end of time
  for (let hs: u32 = 0; hs < observersUsed(); hs++) scanSweep(hs, i64.MAX_VALUE);
}
