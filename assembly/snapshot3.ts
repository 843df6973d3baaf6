// Flow records of version 3 state blobs: the 176-byte slot of the builds before the 120-byte
// one (flows/flowtable.ts), read so that a restart after an upgrade keeps its open flows.
//
//   0 addrA (16)  16 addrB (16)  32 portA portB proto keyFlags observer  40 hash prev next
//  52 timer class ... ICMP error type (14 × u8)  66 ingressIf egressIf rule  72 historySeen
//  76 lines generation  84 ICMP error code, pad, count  88 times (4 × i64)  120 packets and
//  bytes (4 × u64)  152 history text (24 bytes, '^' first when flipped)

import { Flow } from "./flows/flowtable";
import { historyFromText } from "./flows/tcp";

@unmanaged
class FlowV3 {
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
  origIsB: u8;
  origState: u8;
  respState: u8;
  origTcpFlags: u8;
  respTcpFlags: u8;
  actions: u8;
  flags: u8;
  icmpType: u8;
  icmpCode: u8;
  historyLen: u8;
  origPrevState: u8;
  respPrevState: u8;
  icmpErrType: u8;
  ingressIf: u16;
  egressIf: u16;
  rule: u16;
  historySeen: u32;
  lines: u32;
  generation: u32;
  icmpErrCode: u8;
  pad0: u8;
  icmpErrCount: u16;
  firstUs: i64;
  lastUs: i64;
  endUs: i64;
  timerUs: i64;
  origPackets: u64;
  respPackets: u64;
  origBytes: u64;
  respBytes: u64;
  history0: u64;
  history1: u64;
  history2: u64;
}

/** Bytes of one flow in a version 3 blob. */
export const FLOW_RECORD_V3: usize = offsetof<FlowV3>();

/**
 * Fills everything of f but its key, links and generation from the version 3 record at src;
 * false if the record holds what a slot cannot (a packet count past u32, a history a log
 * cannot produce), which only a corrupt blob has.
 */
export function flowFromV3(f: Flow, src: usize): bool {
  const r = changetype<FlowV3>(src);
  if (r.origPackets > <u64>u32.MAX_VALUE || r.respPackets > <u64>u32.MAX_VALUE || r.historyLen > 24) return false;
  f.lines = r.lines;
  f.origPackets = <u32>r.origPackets;
  f.respPackets = <u32>r.respPackets;
  f.timerClass = r.timerClass;
  f.origIsB = r.origIsB;
  f.origState = r.origState;
  f.respState = r.respState;
  f.origTcpFlags = r.origTcpFlags;
  f.respTcpFlags = r.respTcpFlags;
  f.actions = r.actions;
  f.flags = r.flags;
  f.icmpType = r.icmpType;
  f.icmpCode = r.icmpCode;
  f.origPrevState = r.origPrevState;
  f.respPrevState = r.respPrevState;
  f.icmpErrType = r.icmpErrType;
  f.icmpErrCode = r.icmpErrCode;
  f.icmpErrCount = r.icmpErrCount;
  f.ingressIf = r.ingressIf;
  f.egressIf = r.egressIf;
  f.rule = r.rule;
  f.firstUs = r.firstUs;
  f.lastUs = r.lastUs;
  f.endUs = r.endUs;
  f.timerUs = r.timerUs;
  f.origBytes = r.origBytes;
  f.respBytes = r.respBytes;
  return historyFromText(f, src + offsetof<FlowV3>("history0"), <u32>r.historyLen);
}
