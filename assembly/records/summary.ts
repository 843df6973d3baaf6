// Records as ECS-shaped JSON (flow-semantics.md §3, §5.4), written straight into the output
// buffer as UTF-8: flow summaries, forwarded non-flow lines, and the stats record.
// Field reference: README "Output fields". Custom fields live under `ipmon.*`.

import { putIsoTime } from "../parse/clock";
import { writeCommunityId } from "./communityid";
import * as config from "../config";
import {
  Flow, FLOW_CONTINUED, FLOW_FLIPPED, FLOW_ORIG_DATA, FLOW_RESP_DATA, FLOW_SYN_SEEN, HISTORY_CAP, KEY_ONE_WAY, KEY_PORTS, KEY_SIZE, KEY_V6,
  flowKey, originatorAddr, originatorPort, responderAddr, responderPort,
} from "../flows/flowtable";
import { namePtr, nameLen, EMPTY_ID, OVERFLOW_ID } from "../flows/intern";
import { putIp } from "../parse/ipaddr";
import { ACT_BLOCK, ACT_LOG, ACT_PASS, LineRecord, whyText, KIND_HEX, KIND_MISSED, KIND_NAT, KIND_STATE, KIND_STATUS } from "../parse/line";
import { beginRecord, endRecord, putAscii, putByte, putBytes, putI64, putJsonText, putU64, reserve, commit } from "./output";
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, putTransportName } from "../parse/protocols";
import { connStateDescription, connStateName, historyText, tcpConnState, udpConnState, CS_OTH } from "../flows/tcp";
import { DIR_UNKNOWN, directionName, directionOf } from "../flows/localnets";
import { hostOf, observerAt } from "../flows/observers";
import { icmpCodeName, icmpTypeName } from "../parse/icmp";

// @ts-ignore: decorator
@inline export const END_IDLE_TIMEOUT: u8 = 1;
// @ts-ignore: decorator
@inline export const END_ACTIVE_TIMEOUT: u8 = 2;
// @ts-ignore: decorator
@inline export const END_OF_FLOW: u8 = 3;
// @ts-ignore: decorator
@inline export const END_FORCED: u8 = 4;
// @ts-ignore: decorator
@inline export const END_LACK_OF_RESOURCES: u8 = 5;

/** IPFIX flowEndReason (RFC 5102 §5.11.3) as a keyword. */
export function endReasonName(r: u8): string {
  switch (r) {
    case END_IDLE_TIMEOUT: return "idle_timeout";
    case END_ACTIVE_TIMEOUT: return "active_timeout";
    case END_OF_FLOW: return "end_of_flow";
    case END_FORCED: return "forced_end";
  }
  return "lack_of_resources";
}

// ECS version the records follow; it appears as a literal in the record templates below
// (written out, not concatenated, so that writing a record allocates nothing): 8.17.0

const cidScratch: usize = memory.data(32);
const keyScratch: usize = memory.data(<i32>KEY_SIZE);

/** Writes the summary of one flow. */
export function writeFlow(f: Flow, reason: u8): void {
  const v6 = (f.keyFlags & KEY_V6) != 0;
  const hasPorts = (f.keyFlags & KEY_PORTS) != 0;
  const proto = <u32>f.proto;
  const isIcmp = proto == PROTO_ICMP || proto == PROTO_ICMPV6;
  const origAddr = originatorAddr(f);
  const respAddr = responderAddr(f);
  const origPort = originatorPort(f);
  const respPort = responderPort(f);
  const packets = f.origPackets + f.respPackets;
  const bytes = f.origBytes + f.respBytes;

  let cs: u8 = CS_OTH;
  if (proto == PROTO_TCP && hasPorts) cs = tcpConnState(f, (f.flags & (FLOW_ORIG_DATA | FLOW_RESP_DATA)) == 0);
  else if (proto == PROTO_UDP) cs = udpConnState(f.origPackets > 0, f.respPackets > 0);

  beginRecord();
  putAscii('{"@timestamp":"');
  putIsoTime(f.firstUs);
  putAscii('","ecs":{"version":"8.17.0"},"event":{"kind":"event","category":["network"],"type":["connection"');
  if (reason != END_ACTIVE_TIMEOUT) putAscii(',"end"');
  if (f.actions & ACT_BLOCK) putAscii(',"denied"');
  else if (f.actions & ACT_PASS) putAscii(',"allowed"');
  putAscii('],"action":"network_flow","dataset":"ipmon.flow","module":"ipmon","reason":"');
  putAscii(endReasonName(reason));
  putAscii('","start":"');
  putIsoTime(f.firstUs);
  putAscii('","end":"');
  putIsoTime(f.endUs);
  putAscii('","duration":');
  putI64((f.endUs - f.firstUs) * 1000);
  putAscii(',"id":"');
  putFlowId(f);
  putAscii('"},"source":{"ip":"');
  putIp(origAddr, v6);
  putByte(0x22);
  if (hasPorts && !isIcmp) {
    putAscii(',"port":');
    putU64(origPort);
  }
  putAscii(',"packets":');
  putU64(f.origPackets);
  putAscii(',"bytes":');
  putU64(f.origBytes);
  putAscii('},"destination":{"ip":"');
  putIp(respAddr, v6);
  putByte(0x22);
  if (hasPorts && !isIcmp) {
    putAscii(',"port":');
    putU64(respPort);
  }
  putAscii(',"packets":');
  putU64(f.respPackets);
  putAscii(',"bytes":');
  putU64(f.respBytes);
  putAscii('},"network":{"transport":"');
  putTransportName(proto);
  putAscii(v6 ? '","type":"ipv6","iana_number":"' : '","type":"ipv4","iana_number":"');
  putU64(proto);
  putAscii('","packets":');
  putU64(packets);
  putAscii(',"bytes":');
  putU64(bytes);
  putAscii(',"community_id":"');
  putCommunityId(f, origAddr, respAddr, origPort, respPort, v6, hasPorts);
  putByte(0x22);
  // ECS network.direction from the logging host's local_networks (none configured: none written)
  const direction = directionOf(<u32>observerAt(hostOf(f.observer)).nets, origAddr, respAddr);
  if (direction != DIR_UNKNOWN) {
    putAscii(',"direction":"');
    putAscii(directionName(direction));
    putByte(0x22);
  }
  putByte(0x7d);
  if (isIcmp && hasPorts) {
    putAscii(',"icmp":{"type":');
    putU64(f.icmpType);
    putAscii(',"code":');
    putU64(f.icmpCode);
    putByte(0x7d);
  }
  putAscii(',"observer":{');
  if (f.observer != EMPTY_ID) {
    putAscii('"hostname":');
    putName(f.observer);
    putByte(0x2c);
  }
  putAscii('"type":"firewall","vendor":"IPFilter","product":"ipmon"');
  if (f.ingressIf != EMPTY_ID) {
    putAscii(',"ingress":{"interface":{"name":');
    putName(f.ingressIf);
    putAscii("}}");
  }
  if (f.egressIf != EMPTY_ID) {
    putAscii(',"egress":{"interface":{"name":');
    putName(f.egressIf);
    putAscii("}}");
  }
  putAscii('},"related":{"ip":["');
  putIp(origAddr, v6);
  if (!sameAddress(origAddr, respAddr)) {
    putAscii('","');
    putIp(respAddr, v6);
  }
  putAscii('"]}');
  if (f.rule != EMPTY_ID) putRule(f.rule);
  putAscii(',"ipmon":{"record_type":"flow","conn_state":"');
  putAscii(connStateName(cs));
  putAscii('","conn_state_description":"');
  putAscii(connStateDescription(cs));
  putAscii('","history":"');
  commit(historyText(f, reserve(HISTORY_CAP + 1)));
  putAscii('","end_reason":"');
  putAscii(endReasonName(reason));
  putAscii('","action":"');
  putAscii((f.actions & ACT_BLOCK) ? "block" : (f.actions & ACT_PASS) ? "pass" : (f.actions & ACT_LOG) ? "log" : "nomatch");
  putAscii('","syn_seen":');
  putAscii((f.flags & FLOW_SYN_SEEN) ? "true" : "false");
  putAscii(',"flipped":');
  putAscii((f.flags & FLOW_FLIPPED) ? "true" : "false");
  if (f.flags & FLOW_CONTINUED) putAscii(',"continued":true');
  putAscii(',"lines":');
  putU64(f.lines);
  if (f.icmpErrCount > 0) putIcmpError(f);
  if (proto == PROTO_TCP) {
    putAscii(',"source_tcp_flags":"');
    putTcpFlags(f.origTcpFlags);
    putAscii('","destination_tcp_flags":"');
    putTcpFlags(f.respTcpFlags);
    putByte(0x22);
  }
  putAscii("}}");
  endRecord();
}

/** ipmon.icmp_error: how many ICMP errors quoted a packet of the flow, and the last one's names. */
function putIcmpError(f: Flow): void {
  const type = <u32>f.icmpErrType;
  const code = <u32>f.icmpErrCode;
  putAscii(',"icmp_error":{"count":');
  putU64(f.icmpErrCount);
  putAscii(',"type":"');
  const tn = icmpTypeName(type);
  if (tn.length > 0) putAscii(tn);
  else {
    putAscii("icmptype(");
    putU64(type);
    putByte(0x29);
  }
  putAscii('","code":"');
  const cn = icmpCodeName(type, code);
  if (cn.length > 0) putAscii(cn);
  else putU64(code);
  putAscii('"}');
}

function sameAddress(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

/** Writes an interned name as a JSON string ("(too many names)" for the overflow id). */
export function putName(id: u16): void {
  putByte(0x22);
  if (id == OVERFLOW_ID) putAscii("(too many names)");
  else putJsonText(namePtr(id), <usize>nameLen(id));
  putByte(0x22);
}

/** rule.ruleset = the group, rule.id = the 1-based rule number, rule.name = "@group:rule" (§4.3). */
function putRule(id: u16): void {
  const p = namePtr(id);
  const n = nameLen(id);
  if (p == 0) return;
  let colon = n - 1;
  while (colon > 0 && load<u8>(p + colon) != 0x3a) colon--;
  putAscii(',"rule":{"ruleset":"');
  putJsonText(p, <usize>colon);
  putAscii('","id":"');
  putJsonText(p + colon + 1, <usize>(n - colon - 1));
  putAscii('","name":"@');
  putJsonText(p, <usize>n);
  putAscii('"}');
}

/** TCP flags in ipmon's own letters and order (A R S F U P E C, ipmon-format.md §4.7). */
function putTcpFlags(flags: u8): void {
  const f = <u32>flags;
  if (f & 0x10) putByte(0x41);
  if (f & 0x04) putByte(0x52);
  if (f & 0x02) putByte(0x53);
  if (f & 0x01) putByte(0x46);
  if (f & 0x20) putByte(0x55);
  if (f & 0x08) putByte(0x50);
  if (f & 0x40) putByte(0x45);
  if (f & 0x80) putByte(0x43);
}

function putCommunityId(f: Flow, origAddr: usize, respAddr: usize, origPort: u32, respPort: u32, v6: bool, hasPorts: bool): void {
  const proto = <u32>f.proto;
  let sport = origPort;
  let dport = respPort;
  let ports = hasPorts;
  // Community ID only defines ports for TCP, UDP, SCTP, ICMP and ICMPv6 (§2.1); a short or
  // fragmented TCP/UDP packet that printed no ports is hashed with port 0.
  if (proto == 6 || proto == 17 || proto == 132) ports = true;
  else if (proto != PROTO_ICMP && proto != PROTO_ICMPV6) ports = false;
  else if (!hasPorts) ports = false;
  const n = writeCommunityId(cidScratch, config.communityIdSeed, proto, v6, origAddr, respAddr, sport, dport, ports, (f.keyFlags & KEY_ONE_WAY) != 0);
  putBytes(cidScratch, <usize>n);
}

// ── stable record ids ───────────────────────────────────────────────────────────────────────
// FNV-1a/64 written as 16 hex digits. The same input always gives the same ids, in every run
// and after a restart, so a retried or replayed shipment overwrites instead of duplicating.

// @ts-ignore: decorator
@inline const FNV_OFFSET: u64 = 0xcbf29ce484222325;
// @ts-ignore: decorator
@inline const FNV_PRIME: u64 = 0x100000001b3;

/** Folds n bytes into an FNV-1a/64 hash. */
export function fnvBytes(h: u64, p: usize, n: usize): u64 {
  for (let i: usize = 0; i < n; i++) h = (h ^ <u64>load<u8>(p + i)) * FNV_PRIME;
  return h;
}

/** Folds a 64-bit value, byte by byte, into an FNV-1a/64 hash. */
export function fnvU64(h: u64, v: u64): u64 {
  for (let i = 0; i < 8; i++) {
    h = (h ^ (v & 0xff)) * FNV_PRIME;
    v >>= 8;
  }
  return h;
}

/** Writes a hash as 16 lowercase hex digits. */
function putHex64(h: u64): void {
  const p = reserve(16);
  for (let i = 0; i < 16; i++) {
    const d = <u32>((h >> (60 - (i << 2))) & 15);
    store<u8>(p + i, <u8>(d < 10 ? 0x30 + d : 0x57 + d));
  }
  commit(16);
}

/** A flow's id: its logging host's name, canonical key (addresses, ports, protocol, family) and start. */
function putFlowId(f: Flow): void {
  flowKey(f, keyScratch);
  let h = fnvBytes(FNV_OFFSET, keyScratch, 38);
  h = fnvBytes(h, namePtr(f.observer), <usize>nameLen(f.observer));
  h = fnvU64(h, <u64>f.firstUs);
  putHex64(h ^ <u64>f.origIsB);
}

/** A forwarded line's id: its logging host, time and bytes (two identical lines share it). */
function putLineId(observerId: u16, timeUs: i64, lineStart: usize, lineLen: i32): void {
  let h = fnvBytes(FNV_OFFSET, namePtr(observerId), <usize>nameLen(observerId));
  h = fnvU64(h, <u64>timeUs);
  putHex64(fnvBytes(h, lineStart, <usize>lineLen));
}

/** An id for any other record, from bytes that identify it (e.g. the stats counters and clock). */
export function putRecordId(p: usize, n: usize, salt: u64): void {
  putHex64(fnvBytes(fnvU64(FNV_OFFSET, salt), p, n));
}

/** Writes a record for a line that is not a flow packet: STATE, NAT, missed, hex, status, or not understood. */
export function writeForwarded(r: LineRecord, lineStart: usize, lineLen: i32, kind: u8, why: u8, observerId: u16, clockUs: i64): void {
  beginRecord();
  putByte(0x7b);
  if (r.hasTime || clockUs > 0) {
    putAscii('"@timestamp":"');
    putIsoTime(r.hasTime ? r.timeUs : clockUs);
    putAscii('",');
  }
  putAscii('"ecs":{"version":"8.17.0"},"event":{"kind":"');
  const isError = why != 0;
  putAscii(isError ? "pipeline_error" : "event");
  putAscii('","module":"ipmon","dataset":"ipmon.');
  const type = recordTypeName(kind, why);
  putAscii(type);
  putAscii('","id":"');
  putLineId(observerId, r.hasTime ? r.timeUs : clockUs, lineStart, lineLen);
  putAscii('"},"observer":{');
  if (observerId != EMPTY_ID) {
    putAscii('"hostname":');
    putName(observerId);
    putByte(0x2c);
  }
  putAscii('"type":"firewall","vendor":"IPFilter","product":"ipmon"},"message":"');
  // a runaway line (binary junk, a missing newline) stays a record Elasticsearch will take
  const shown = lineLen > MAX_MESSAGE ? MAX_MESSAGE : lineLen;
  putJsonText(lineStart, <usize>shown);
  putByte(0x22);
  if (isError) {
    putAscii(',"error":{"type":"ipmon_parse","message":"');
    putAscii(whyText(why));
    putAscii('"}');
  }
  putAscii(',"ipmon":{"record_type":"');
  putAscii(type);
  putByte(0x22);
  if (r.tokenLen > 0 && (kind == KIND_STATE || kind == KIND_NAT || kind == KIND_MISSED)) {
    putAscii(kind == KIND_MISSED ? ',"log":"' : ',"kind":"');
    putJsonText(r.tokenPtr, <usize>r.tokenLen);
    putByte(0x22);
  }
  if (isError) {
    putAscii(',"reason":"');
    putAscii(whyText(why));
    putByte(0x22);
  }
  if (shown < lineLen) {
    putAscii(',"message_truncated":true,"line_bytes":');
    putU64(<u64>lineLen);
  }
  putAscii("}}");
  endRecord();
}

/** Bytes of a forwarded line kept in `message` (the rest is cut, and the record says so). */
// @ts-ignore: decorator
@inline const MAX_MESSAGE: i32 = 65536;

/** record_type for a forwarded line. */
function recordTypeName(kind: u8, why: u8): string {
  switch (kind) {
    case KIND_STATE: return "state";
    case KIND_NAT: return "nat";
    case KIND_MISSED: return "missed";
    case KIND_HEX: return "hexdump";
    case KIND_STATUS: return "status";
  }
  return why != 0 && kind == 1 ? "packet" : "unparsed";
}
