// What the parser produces: the LineRecord of the last line, and the codes its fields hold
// (line kinds, why a line could not be used, actions, TCP flags, direction).
//
// One static record, overwritten by every parseLine call: nothing is allocated per line, and
// text fields are (pointer, length) views into the caller's line buffer.

// ── line kinds ──────────────────────────────────────────────────────────────────────────────
// @ts-ignore: decorator
@inline export const KIND_BLANK: u8 = 0;
// @ts-ignore: decorator
@inline export const KIND_PACKET: u8 = 1;
// @ts-ignore: decorator
@inline export const KIND_STATE: u8 = 2;
// @ts-ignore: decorator
@inline export const KIND_NAT: u8 = 3;
// @ts-ignore: decorator
@inline export const KIND_MISSED: u8 = 4;
// @ts-ignore: decorator
@inline export const KIND_HEX: u8 = 5;
// @ts-ignore: decorator
@inline export const KIND_STATUS: u8 = 6;
// @ts-ignore: decorator
@inline export const KIND_UNPARSED: u8 = 7;

// ── why a line could not be used (KIND_UNPARSED, or a KIND_PACKET that cannot be keyed) ────
// @ts-ignore: decorator
@inline export const WHY_NONE: u8 = 0;
// @ts-ignore: decorator
@inline export const WHY_NOT_IPMON: u8 = 1;
// @ts-ignore: decorator
@inline export const WHY_NO_TIME: u8 = 2;
// @ts-ignore: decorator
@inline export const WHY_BAD_DATE: u8 = 3;
// @ts-ignore: decorator
@inline export const WHY_NO_DATE: u8 = 4;
// @ts-ignore: decorator
@inline export const WHY_BAD_RULE: u8 = 5;
// @ts-ignore: decorator
@inline export const WHY_BAD_ACTION: u8 = 6;
// @ts-ignore: decorator
@inline export const WHY_BAD_ENDPOINT: u8 = 7;
// @ts-ignore: decorator
@inline export const WHY_BAD_PROTO: u8 = 8;
// @ts-ignore: decorator
@inline export const WHY_BAD_LEN: u8 = 9;
// @ts-ignore: decorator
@inline export const WHY_BAD_FLAGS: u8 = 10;
// @ts-ignore: decorator
@inline export const WHY_BAD_ICMP: u8 = 11;
// @ts-ignore: decorator
@inline export const WHY_BAD_SUFFIX: u8 = 12;
// @ts-ignore: decorator
@inline export const WHY_HOST_NAME: u8 = 13;
// @ts-ignore: decorator
@inline export const WHY_SERVICE_NAME: u8 = 14;
// @ts-ignore: decorator
@inline export const WHY_UNKNOWN_PROTO: u8 = 15;
// @ts-ignore: decorator
@inline export const WHY_BAD_BODY: u8 = 16;
// @ts-ignore: decorator
@inline export const WHY_BAD_COUNT: u8 = 17;
// @ts-ignore: decorator
@inline export const WHY_TOO_MANY_HOSTS: u8 = 18;

/** Human-readable text for a WHY_* code, used in forwarded records. */
export function whyText(why: u8): string {
  switch (why) {
    case WHY_NOT_IPMON: return "not an ipmon log line";
    case WHY_NO_TIME: return "no ipmon timestamp (HH:MM:SS.uuuuuu) where one was expected";
    case WHY_BAD_DATE: return "date or time out of range";
    case WHY_NO_DATE: return "time of day without a date, and no earlier line gave one";
    case WHY_BAD_RULE: return "expected interface and @group:rule";
    case WHY_BAD_ACTION: return "unknown action letter (expected p, b, L, n, P, B or ?, optionally after S)";
    case WHY_BAD_ENDPOINT: return "source or destination not understood";
    case WHY_BAD_PROTO: return "expected PR and a protocol";
    case WHY_BAD_LEN: return "expected len HL PLEN";
    case WHY_BAD_FLAGS: return "expected TCP flags (-ARSFUPEC)";
    case WHY_BAD_ICMP: return "ICMP type/code not understood";
    case WHY_BAD_SUFFIX: return "unexpected text after the packet (expected K-S, IN/OUT and other ipmon markers)";
    case WHY_HOST_NAME: return "host printed as a name without an address (ipmon -n), cannot key the flow";
    case WHY_SERVICE_NAME: return "port printed as an unknown service name (ipmon -n), cannot key the flow";
    case WHY_UNKNOWN_PROTO: return "protocol name not in the protocol table, cannot key the flow";
    case WHY_BAD_BODY: return "packet body not understood";
    case WHY_BAD_COUNT: return "repeat count out of range";
    case WHY_TOO_MANY_HOSTS: return "too many distinct logging hosts to keep them apart, cannot key the flow";
  }
  return "";
}

// ── actions (§4.4) ───────────────────────────────────────────────────────────────────────────
// @ts-ignore: decorator
@inline export const ACT_PASS: u8 = 1;
// @ts-ignore: decorator
@inline export const ACT_BLOCK: u8 = 2;
// @ts-ignore: decorator
@inline export const ACT_LOG: u8 = 4;
// @ts-ignore: decorator
@inline export const ACT_NOMATCH: u8 = 8;
// @ts-ignore: decorator
@inline export const ACT_UNKNOWN: u8 = 16;

// ── TCP flag bits, as on the wire; ipmon prints them in the order A R S F U P E C (§4.7) ───
// @ts-ignore: decorator
@inline export const TH_FIN: u8 = 0x01;
// @ts-ignore: decorator
@inline export const TH_SYN: u8 = 0x02;
// @ts-ignore: decorator
@inline export const TH_RST: u8 = 0x04;
// @ts-ignore: decorator
@inline export const TH_PUSH: u8 = 0x08;
// @ts-ignore: decorator
@inline export const TH_ACK: u8 = 0x10;
// @ts-ignore: decorator
@inline export const TH_URG: u8 = 0x20;
// @ts-ignore: decorator
@inline export const TH_ECE: u8 = 0x40;
// @ts-ignore: decorator
@inline export const TH_CWR: u8 = 0x80;

// ── direction ────────────────────────────────────────────────────────────────────────────────
// @ts-ignore: decorator
@inline export const DIR_NONE: u8 = 0;
// @ts-ignore: decorator
@inline export const DIR_IN: u8 = 1;
// @ts-ignore: decorator
@inline export const DIR_OUT: u8 = 2;

/**
 * What the parser found on one line. Text fields point into the line buffer.
 *
 * Addresses live in LINE_SRC / LINE_DST (16 bytes each, ipaddr.ts layout).
 */
@unmanaged
export class LineRecord {
  /** Event time in microseconds since the epoch (UTC); valid when hasTime. */
  timeUs: i64;
  kind: u8;
  why: u8;
  hasTime: bool;
  isV6: bool;
  action: u8;
  short: bool;
  dir: u8;
  hasPorts: bool;
  proto: u32;
  count: u32;
  hl: u32;
  plen: u32;
  sport: u32;
  dport: u32;
  tcpFlags: u32;
  icmpType: i32;
  icmpCode: i32;
  /** A non-first IP fragment (`(frag ID:LEN@OFF)` or legacy `frag`): it carries no ports. */
  fragment: bool;
  /** The fragment printed its IP id (`(frag ID:…)`; IPFilter 3.4's ` frag …` has none). */
  fragHasId: bool;
  /** More fragments follow (`+`, the MF bit). */
  fragMore: bool;
  /** ICMP error whose quoted packet was read into LINE_QSRC/LINE_QDST and the q* fields. */
  quoted: bool;
  /** The quoted packet's ports (TCP/UDP) or type/code (ICMP) were printed. */
  qHasPorts: bool;
  /** IP id of a fragment (`(frag ID:…)`). */
  fragId: u32;
  /** Data bytes in the fragment (`LEN` of `(frag ID:LEN@OFF)`). */
  fragLen: u32;
  /** Byte offset of the fragment in its datagram (`OFF`). */
  fragOff: u32;
  /** Protocol of the quoted packet. */
  qProto: u32;
  /** Source port (TCP/UDP) or ICMP type of the quoted packet. */
  qSport: u32;
  /** Destination port (TCP/UDP) or ICMP code of the quoted packet. */
  qDport: u32;
  observerPtr: usize;
  observerLen: i32;
  ifPtr: usize;
  ifLen: i32;
  /** `group:rule` without the leading @. */
  rulePtr: usize;
  ruleLen: i32;
  /** The ipmon message after the syslog envelope. */
  msgPtr: usize;
  msgLen: i32;
  /** STATE:/NAT: kind token or `missed ... log entries` family (ipf/state/NAT). */
  tokenPtr: usize;
  tokenLen: i32;
}

/** The parse result of the last line (static, overwritten by every parseLine call). */
export const line = changetype<LineRecord>(memory.data(offsetof<LineRecord>()));
/** Source address of the last packet line (16 bytes). */
export const LINE_SRC: usize = memory.data(16);
/** Destination address of the last packet line (16 bytes). */
export const LINE_DST: usize = memory.data(16);
/** Source address of the packet an ICMP error quotes (16 bytes; valid when line.quoted). */
export const LINE_QSRC: usize = memory.data(16);
/** Destination address of the packet an ICMP error quotes (16 bytes). */
export const LINE_QDST: usize = memory.data(16);

/** Marks the current line unparsed for the given reason; returns KIND_UNPARSED. */
export function unparsed(why: u8): u8 {
  line.kind = KIND_UNPARSED;
  line.why = why;
  return KIND_UNPARSED;
}
