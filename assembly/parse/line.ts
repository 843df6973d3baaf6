// The ipmon line parser: one log line (UTF-8 bytes) in, one LineRecord filled in place.
//
// Grammar and field meanings: ../shared/reference/ipmon-format.md. The envelope (§2: file mode
// `dd/mm/yyyy HH:MM:SS.uuuuuu`, BSD syslog `Mmm dd HH:MM:SS host tag[pid]: `, Solaris
// `[ID 702911 fac.lvl] ` with or without a relay's `[fac.lvl] `, ISO-8601 syslog headers) is
// peeled first, then the ipmon message is classified: packet line (§4), STATE (§5), NAT (§6),
// `missed N ... log entries` (§4.14), hex dump rows (§4.13), other status lines (§7).
//
// Nothing here allocates: the cursor lives in globals, the result in static memory, and text
// fields are (pointer, length) views into the caller's line buffer, valid until the next line.

import { civilToUs, dayStart, daysFromCivil, monthFromName, validDate, US_PER_DAY, US_PER_SECOND } from "./clock";
import { parseIPv4, parseIPv6 } from "./ipaddr";
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, portFromText, protocolFromName } from "./protocols";
import { icmpCodeFromName, icmpTypeFromName } from "./icmp";

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

// @ts-ignore: decorator
@inline const MAX_PLEN: i64 = 65575;

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

// ── date context kept across lines ───────────────────────────────────────────────────────────
let utcOffsetUs: i64 = 0;
/** The time syslog dates must not be after when their year is chosen (year 0). */
let syslogReferenceUs: i64 = 0;
/** utc_offset was configured: it, not an ISO header's zone, is the firewall's time zone. */
let utcOffsetKnown = false;
let syslogYear: i32 = 0;
let lastSyslogMonth: i32 = 0;
// Last date conversions, keyed by the raw date bytes (see parseLine).
let lastSyslogDateKey: u64 = 0;
let lastSyslogDayUs: i64 = 0;
let lastFileDateKey0: u64 = 0;
let lastFileDateKey1: u16 = 0;
let lastFileDayUs: i64 = 0;
/** Local midnight (µs) of the last date seen, for lines that carry only a time of day. */
let lastLocalDayUs: i64 = -1;

/** Sets the year for syslog dates (which carry none) and the UTC offset of the ipmon host. */
export function setDateContext(year: i32, offsetMinutes: i32, offsetKnown: bool = false, referenceUs: i64 = 0): void {
  utcOffsetKnown = offsetKnown;
  // year 0: chosen at the first syslog date, as the latest year that does not put that date
  // after referenceUs (so a log spanning New Year read in January keeps December in the old year)
  syslogYear = year > 0 ? year : 0;
  syslogReferenceUs = referenceUs;
  lastSyslogMonth = 0;
  utcOffsetUs = <i64>offsetMinutes * 60 * US_PER_SECOND;
  lastLocalDayUs = -1;
  lastSyslogDateKey = 0;
  lastFileDateKey0 = 0;
}

/** Bytes of date context a snapshot carries (see dateContextSave). */
export const DATE_CONTEXT_SIZE: i32 = 16;

/** Writes the date context learnt from the log (syslog year roll-over, last date) at ptr. */
export function dateContextSave(ptr: usize): void {
  store<i32>(ptr, syslogYear);
  store<i32>(ptr, lastSyslogMonth, 4);
  store<i64>(ptr, lastLocalDayUs, 8);
}

/** Restores a date context written by dateContextSave. */
export function dateContextLoad(ptr: usize): void {
  syslogYear = load<i32>(ptr);
  lastSyslogMonth = load<i32>(ptr, 4);
  lastLocalDayUs = load<i64>(ptr, 8);
  // the conversion caches belong to the context that was replaced
  lastSyslogDateKey = 0;
  lastFileDateKey0 = 0;
}

/** Supplies a date for lines that carry only a time of day (e.g. a host that knows the record time). */
export function setFallbackDay(utcUs: i64): void {
  const local = utcUs + utcOffsetUs;
  lastLocalDayUs = dayStart(local);
}

// ── cursor ───────────────────────────────────────────────────────────────────────────────────
let p: usize = 0;
let e: usize = 0;

// @ts-ignore: decorator
@inline function at(k: usize): u32 {
  return <u32>load<u8>(p + k);
}

// @ts-ignore: decorator
@inline function isDigit(c: u32): bool {
  return c - 0x30 <= 9;
}

/** Consumes a literal ASCII string if it is next; no allocation (reads the UTF-16 constant). */
function eat(s: string): bool {
  const n = <usize>s.length;
  if (p + n > e) return false;
  const src = changetype<usize>(s);
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(p + i) != <u32>load<u16>(src + (i << 1))) return false;
  }
  p += n;
  return true;
}

/** Consumes 4 bytes if they equal `word` (little-endian): the hot separators " -> ", " PR ". */
// @ts-ignore: decorator
@inline function eat4(word: u32): bool {
  if (p + 4 <= e && load<u32>(p) == word) {
    p += 4;
    return true;
  }
  return false;
}

// @ts-ignore: decorator
@inline const ARROW: u32 = 0x203e2d20; // " -> "
// @ts-ignore: decorator
@inline const PR: u32 = 0x20525020; // " PR "
// @ts-ignore: decorator
@inline const LEN: u32 = 0x6e656c20; // " len" (then a space)

// @ts-ignore: decorator
@inline function eatByte(c: u32): bool {
  if (p < e && <u32>load<u8>(p) == c) {
    p++;
    return true;
  }
  return false;
}

/** End of the token at the cursor (next space or end of line). */
function tokenEnd(): usize {
  return findByte(p, e, 0x20);
}

/** Position of the first byte c in [q, end), or end; eight bytes at a time (SWAR). */
export function findByte(q: usize, end: usize, c: u32): usize {
  const pattern = <u64>c * 0x0101010101010101;
  while (q + 8 <= end) {
    const x = load<u64>(q) ^ pattern;
    const hit = (x - 0x0101010101010101) & ~x & 0x8080808080808080;
    if (hit != 0) return q + <usize>(ctz(hit) >> 3);
    q += 8;
  }
  while (q < end && <u32>load<u8>(q) != c) q++;
  return q;
}

/** Reads exactly n digits; -1 if they are not all digits. */
function digits(n: i32): i32 {
  if (p + <usize>n > e) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = <u32>load<u8>(p + i) - 0x30;
    if (d > 9) return -1;
    v = v * 10 + <i32>d;
  }
  p += n;
  return v;
}

/** Reads an unsigned decimal of 1-10 digits; -1 if there is none. */
function number(): i64 {
  let v: i64 = 0;
  let n = 0;
  while (p < e) {
    const d = <u32>load<u8>(p) - 0x30;
    if (d > 9) break;
    v = v * 10 + <i64>d;
    p++;
    if (++n > 10) return -1;
  }
  return n == 0 ? -1 : v;
}

// ── entry point ─────────────────────────────────────────────────────────────────────────────

/** Parses one line (without its newline) into `line`; returns line.kind. */
export function parseLine(start: usize, n: i32): u8 {
  p = start;
  e = start + <usize>n;
  // tolerate CRLF logs and trailing blanks
  while (e > p && (load<u8>(e - 1) == 0x0d || load<u8>(e - 1) == 0x20 || load<u8>(e - 1) == 0x09)) e--;
  const r = line;
  r.kind = KIND_UNPARSED;
  r.why = WHY_NONE;
  r.hasTime = false;
  r.observerPtr = 0;
  r.observerLen = 0;
  r.tokenLen = 0;
  r.msgPtr = p;
  r.msgLen = <i32>(e - p);
  if (p == e) {
    r.kind = KIND_BLANK;
    return KIND_BLANK;
  }
  // Envelope. Syslog header time (local seconds of day) is kept to place the ipmon time.
  let headerDayUs: i64 = -1; // local midnight of the header's date
  let headerSecs: i32 = -1;
  let headerOffsetUs: i64 = utcOffsetUs;
  const c0 = at(0);
  if (c0 == 0x3c) {
    // <PRI> prefix as some relays write it
    let q = p + 1;
    while (q < e && q < p + 5 && isDigit(<u32>load<u8>(q))) q++;
    if (q < e && load<u8>(q) == 0x3e) p = q + 1;
    if (p + 2 <= e && at(0) == 0x31 && at(1) == 0x20) p += 2; // RFC 5424 version "1 "
  }
  if (p + 16 <= e && monthFromName(p) != 0 && at(3) == 0x20) {
    // BSD: "Mmm dd HH:MM:SS host tag: " (day space-padded)
    // Consecutive lines share their date: reuse the last conversion when "Mmm dd " repeats.
    const dateKey = load<u64>(p) & 0x00ffffffffffffff;
    if (dateKey == lastSyslogDateKey) {
      p += 7;
      headerDayUs = lastSyslogDayUs;
    } else {
      const month = monthFromName(p);
      p += 4;
      let day: i32;
      if (at(0) == 0x20) {
        p++;
        day = digits(1);
      } else {
        day = digits(2);
        if (day < 0) day = digits(1);
      }
      if (day < 1 || !eatByte(0x20)) return unparsed(WHY_NOT_IPMON);
      const year = syslogYearFor(month, day);
      if (!validDate(year, month, day)) return unparsed(WHY_BAD_DATE);
      headerDayUs = civilToUs(year, month, day, 0, 0, 0, 0);
      lastSyslogDateKey = p - start == 7 ? dateKey : 0;
      lastSyslogDayUs = headerDayUs;
    }
    const secs = clockTime();
    if (secs < 0 || !eatByte(0x20)) return unparsed(WHY_NOT_IPMON);
    headerSecs = secs;
    if (!syslogHostAndTag()) return unparsed(WHY_NOT_IPMON);
  } else if (p + 20 <= e && isDigit(at(0)) && at(4) == 0x2d && at(7) == 0x2d && at(10) == 0x54) {
    // ISO 8601 / RFC 5424 / rsyslog high-precision: YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm)
    const y = digits(4);
    p++;
    const mo = digits(2);
    p++;
    const d = digits(2);
    p++;
    const secs = clockTime();
    if (y < 0 || mo < 0 || d < 0 || secs < 0 || !validDate(y, mo, d)) return unparsed(WHY_BAD_DATE);
    if (eatByte(0x2e)) while (p < e && isDigit(at(0))) p++;
    if (eatByte(0x5a)) {
      headerOffsetUs = 0;
    } else if (p < e && (at(0) == 0x2b || at(0) == 0x2d)) {
      const neg = at(0) == 0x2d;
      p++;
      const oh = digits(2);
      eatByte(0x3a);
      const om = digits(2);
      if (oh < 0 || om < 0) return unparsed(WHY_BAD_DATE);
      headerOffsetUs = (<i64>(oh * 60 + om) * 60 * US_PER_SECOND) * (neg ? -1 : 1);
    }
    if (!eatByte(0x20)) return unparsed(WHY_NOT_IPMON);
    if (utcOffsetKnown) {
      // The header's zone is the relay's; ipmon's time of day is the firewall's, which the
      // configuration gives: move the header into the firewall's local time, then place
      // ipmon's time near it as for BSD headers.
      const local = civilToUs(y, mo, d, 0, 0, 0, 0) + <i64>secs * US_PER_SECOND - headerOffsetUs + utcOffsetUs;
      headerDayUs = dayStart(local);
      headerSecs = <i32>((local - headerDayUs) / US_PER_SECOND);
      headerOffsetUs = utcOffsetUs;
    } else {
      // Not configured: the best guess for the firewall's zone is the header's own.
      headerDayUs = civilToUs(y, mo, d, 0, 0, 0, 0);
      headerSecs = secs;
    }
    if (!syslogHostAndTag()) return unparsed(WHY_NOT_IPMON);
  }
  // Relay and Solaris message-ID tags: "[local2.info] " and "[ID 702911 local2.info] " (§2.3).
  while (p < e && at(0) == 0x5b) {
    let q = p + 1;
    while (q < e && load<u8>(q) != 0x5d) q++;
    if (q + 1 >= e || load<u8>(q + 1) != 0x20) break;
    p = q + 2;
  }
  r.msgPtr = p;
  r.msgLen = <i32>(e - p);

  // ipmon's own prefix: [dd/mm/yyyy ]HH:MM:SS.uuuuuu (§3)
  let localDayUs: i64 = -1;
  if (p + 11 <= e && at(2) == 0x2f && at(5) == 0x2f) {
    // "dd/mm/yyyy ": same cache idea, keyed on the first 8 bytes plus the last two digits
    const k0 = load<u64>(p);
    const k1 = load<u16>(p + 8);
    if (k0 == lastFileDateKey0 && k1 == lastFileDateKey1 && at(10) == 0x20) {
      p += 11;
      localDayUs = lastFileDayUs;
    } else {
      const d = digits(2);
      p++;
      const mo = digits(2);
      p++;
      const y = digits(4);
      if (d < 0 || mo < 0 || y < 0 || !eatByte(0x20)) return unparsed(WHY_NO_TIME);
      if (!validDate(y, mo, d)) return unparsed(WHY_BAD_DATE);
      localDayUs = civilToUs(y, mo, d, 0, 0, 0, 0);
      lastFileDateKey0 = k0;
      lastFileDateKey1 = k1;
      lastFileDayUs = localDayUs;
    }
  }
  const timeStart = p;
  const secs = clockTime();
  if (secs < 0 || !eatByte(0x2e)) {
    p = timeStart;
    return untimed(r, headerDayUs, headerSecs, headerOffsetUs);
  }
  const usec = digits(6);
  if (usec < 0 || !eatByte(0x20)) return unparsed(WHY_NO_TIME);
  // Place the time of day on a date.
  let offset = utcOffsetUs;
  if (localDayUs < 0 && headerDayUs >= 0) {
    localDayUs = headerDayUs;
    offset = headerOffsetUs;
    // The header is written after the packet was logged: an ipmon time far "later" than the
    // header's belongs to the previous day (23:59:59.9 logged, relayed at 00:00:01).
    if (secs - headerSecs > 43200) localDayUs -= US_PER_DAY;
    else if (headerSecs - secs > 43200) localDayUs += US_PER_DAY;
  }
  if (localDayUs < 0) {
    if (lastLocalDayUs < 0) return unparsed(WHY_NO_DATE);
    localDayUs = lastLocalDayUs;
  }
  lastLocalDayUs = localDayUs;
  r.timeUs = localDayUs + <i64>secs * US_PER_SECOND + <i64>usec - offset;
  r.hasTime = true;

  // What follows the time decides the record kind.
  if (p < e && at(0) == 0x40) {
    r.kind = KIND_NAT;
    markToken();
    return KIND_NAT;
  }
  const kindStart = p;
  const k0 = at(0);
  if ((k0 == 0x53 && eat("STATE:")) || (k0 == 0x54 && eat("Type: "))) {
    p = kindStart;
    r.kind = KIND_STATE;
    markToken();
    return KIND_STATE;
  }
  return packet(r);
}

/** STATE and NAT lines: remember the kind token (e.g. STATE:CLOSE, NAT:EXPIRE) for the record. */
function markToken(): void {
  const r = line;
  if (at(0) == 0x40) {
    // "@N " before the NAT kind
    while (p < e && at(0) != 0x20) p++;
    p++;
  }
  r.tokenPtr = p;
  let q = tokenEnd();
  // "Type: N" is two words
  if (q - p == 5 && load<u8>(p + 4) == 0x3a) {
    q++;
    while (q < e && load<u8>(q) != 0x20) q++;
  }
  r.tokenLen = <i32>(q - p);
}

function unparsed(why: u8): u8 {
  line.kind = KIND_UNPARSED;
  line.why = why;
  return KIND_UNPARSED;
}

/** Lines without an ipmon timestamp: `missed …`, status messages, hex rows. */
function untimed(r: LineRecord, headerDayUs: i64, headerSecs: i32, offset: i64): u8 {
  if (headerDayUs >= 0) {
    r.timeUs = headerDayUs + <i64>headerSecs * US_PER_SECOND - offset;
    r.hasTime = true;
    lastLocalDayUs = headerDayUs;
  }
  const start = p;
  if (eat("missed ")) {
    // missed N (ipf|state|NAT) log entries: A B  (§4.14)
    if (number() >= 0 && eatByte(0x20)) {
      r.tokenPtr = p;
      const q = tokenEnd();
      r.tokenLen = <i32>(q - p);
      p = q;
      if (eat(" log entries")) {
        r.kind = KIND_MISSED;
        return KIND_MISSED;
      }
    }
    p = start;
  }
  if (isHexRow()) {
    r.kind = KIND_HEX;
    return KIND_HEX;
  }
  // Status lines ipmon writes itself (§7).
  if (
    eat("read: ") || eat("aborting logging") || eat("ioctl(") || eat("Logging ") ||
    (number() >= 0 && eat(" bytes flushed from log"))
  ) {
    r.kind = KIND_STATUS;
    return KIND_STATUS;
  }
  p = start;
  return unparsed(WHY_NO_TIME);
}

/** A `-x`/`-X`/`-b` dump row: 1-16 `hh ` groups, spaces, then the printable column (§4.13). */
function isHexRow(): bool {
  let q = p;
  let groups = 0;
  while (q + 3 <= e && groups < 16) {
    if (!isHex(<u32>load<u8>(q)) || !isHex(<u32>load<u8>(q + 1)) || load<u8>(q + 2) != 0x20) break;
    q += 3;
    groups++;
  }
  if (groups == 0) return false;
  if (q == e) return true;
  if (load<u8>(q) != 0x20) return false;
  while (q < e && load<u8>(q) == 0x20) q++;
  return e - q <= 16;
}

// @ts-ignore: decorator
@inline function isHex(c: u32): bool {
  return c - 0x30 <= 9 || c - 0x61 <= 5;
}

/** HH:MM:SS → seconds of day, or -1. Twice per syslog line, so one load and no calls. */
function clockTime(): i32 {
  if (p + 8 > e) return -1;
  const w = load<u64>(p);
  // bytes 2 and 5 are ':', the other six are digits
  if (<u32>((w >> 16) & 0xff) != 0x3a || <u32>((w >> 40) & 0xff) != 0x3a) return -1;
  const d = w - 0x3030003030003030; // digits become 0-9 (separator lanes wrap, ignored)
  const h1 = <u32>(d & 0xff), h2 = <u32>((d >> 8) & 0xff);
  const m1 = <u32>((d >> 24) & 0xff), m2 = <u32>((d >> 32) & 0xff);
  const s1 = <u32>((d >> 48) & 0xff), s2 = <u32>((d >> 56) & 0xff);
  if (h1 > 9 || h2 > 9 || m1 > 9 || m2 > 9 || s1 > 9 || s2 > 9) return -1;
  const h = h1 * 10 + h2;
  const m = m1 * 10 + m2;
  const s = s1 * 10 + s2;
  if (h > 23 || m > 59 || s > 60) return -1;
  p += 8;
  return <i32>(h * 3600 + m * 60 + (s == 60 ? 59 : s));
}

/** Skips "host tag[pid]: " of a syslog header, noting the host as the observer. */
function syslogHostAndTag(): bool {
  const r = line;
  const hostEnd = tokenEnd();
  if (hostEnd == p || hostEnd >= e) return false;
  r.observerPtr = p;
  r.observerLen = <i32>(hostEnd - p);
  p = hostEnd + 1;
  // RFC 5424: APP PROCID MSGID SD, e.g. "ipmon 812 - - "
  const tagEnd = tokenEnd();
  if (tagEnd > p && load<u8>(tagEnd - 1) == 0x3a) {
    if (!isIpmonTag(p, tagEnd)) return false;
    p = tagEnd + 1;
    return p <= e;
  }
  if (!isIpmonTag(p, tagEnd)) return false;
  p = tagEnd;
  for (let fields = 0; fields < 3; fields++) {
    if (!eatByte(0x20)) return false;
    if (at(0) == 0x5b) {
      // structured data: skip to the closing "]" that ends the element list
      while (p < e && at(0) != 0x5d) p++;
      p++;
    } else {
      p = tokenEnd();
    }
  }
  return eatByte(0x20) || p == e;
}

/** The syslog tag is ipmon's ident (basename of argv[0], §2.2): accept `ipmon`, `ipmon[pid]:`. */
function isIpmonTag(s: usize, t: usize): bool {
  const n = t - s;
  if (n < 5) return false;
  return load<u8>(s) == 0x69 && load<u8>(s + 1) == 0x70 && load<u8>(s + 2) == 0x6d && load<u8>(s + 3) == 0x6f &&
    load<u8>(s + 4) == 0x6e && (n == 5 || load<u8>(s + 5) == 0x5b || load<u8>(s + 5) == 0x3a);
}

/** The year of a syslog date: the configured year, advanced when the months wrap past December. */
function syslogYearFor(month: i32, day: i32): i32 {
  if (lastSyslogMonth == 0) {
    if (syslogYear == 0) syslogYear = yearNotAfter(syslogReferenceUs + utcOffsetUs, month, day);
    lastSyslogMonth = month;
    return syslogYear;
  }
  if (month < lastSyslogMonth && lastSyslogMonth - month >= 6) {
    // Dec → Jan: the log crossed a new year
    syslogYear++;
    lastSyslogMonth = month;
    return syslogYear;
  }
  if (month > lastSyslogMonth && month - lastSyslogMonth >= 6) {
    // a straggler from the previous year after the wrap
    return syslogYear - 1;
  }
  lastSyslogMonth = month;
  return syslogYear;
}

/** The latest year in which month/day is not more than a day after the local time `ref` (µs). */
function yearNotAfter(ref: i64, month: i32, day: i32): i32 {
  const refDays = dayStart(ref) / US_PER_DAY;
  let y = <i32>(1970 + refDays / 365);
  while (y > 1 && daysFromCivil(y, 1, 1) > refDays) y--;
  while (daysFromCivil(y + 1, 1, 1) <= refDays) y++;
  // a day of slack: the reference clock and the firewall's may disagree a little
  if (daysFromCivil(y, month, day) > refDays + 1) y--;
  return y;
}

// ── packet lines (§4) ────────────────────────────────────────────────────────────────────────

function packet(r: LineRecord): u8 {
  r.kind = KIND_PACKET;
  r.count = 1;
  r.dir = DIR_NONE;
  r.fragment = false;
  r.hasPorts = false;
  r.tcpFlags = 0;
  r.icmpType = -1;
  r.icmpCode = -1;
  r.short = false;
  // optional repeat count "Nx "
  if (isDigit(at(0))) {
    const q = p;
    const n = number();
    if (n > 0 && eatByte(0x78) && eatByte(0x20)) {
      // the kernel's ipl_count is an int: a bigger count is not something ipmon printed
      if (n > 0x7fffffff) return unparsed(WHY_BAD_COUNT);
      r.count = <u32>n;
    } else {
      p = q;
    }
  }
  // interface then " @group:rule "
  const ifEnd = tokenEnd();
  if (ifEnd == p || ifEnd + 2 > e || load<u8>(ifEnd + 1) != 0x40) return unparsed(WHY_BAD_RULE);
  r.ifPtr = p;
  r.ifLen = <i32>(ifEnd - p);
  p = ifEnd + 2;
  const ruleEnd = tokenEnd();
  let colon = ruleEnd;
  while (colon > p && load<u8>(colon - 1) != 0x3a) colon--;
  if (colon == p || colon == ruleEnd || ruleEnd >= e) return unparsed(WHY_BAD_RULE);
  r.rulePtr = p;
  r.ruleLen = <i32>(ruleEnd - p);
  p = ruleEnd + 1;
  // action: [S] p|P|b|B|L|n|?
  if (at(0) == 0x53 && p + 1 < e && at(1) != 0x20) {
    r.short = true;
    p++;
  }
  const a = at(0);
  if (a == 0x70 || a == 0x50) r.action = ACT_PASS;
  else if (a == 0x62 || a == 0x42) r.action = ACT_BLOCK;
  else if (a == 0x4c) r.action = ACT_LOG;
  else if (a == 0x6e) r.action = ACT_NOMATCH;
  else if (a == 0x3f) r.action = ACT_UNKNOWN;
  else return unparsed(WHY_BAD_ACTION);
  p++;
  if (!eatByte(0x20)) return unparsed(WHY_BAD_ACTION);
  return body(r);
}

/** Which part of an endpoint failed: 0 ok, else a WHY_* code. */
let endpointWhy: u8 = 0;

/** Parses `host[,port]` up to the next space into dst; sets hasPort/port via globals. */
let endpointPort: i32 = -1;
function endpoint(dst: usize, isV6Out: usize): bool {
  if (fastIPv4Endpoint(dst)) {
    store<bool>(isV6Out, false);
    return true;
  }
  const q = tokenEnd();
  if (q == p) {
    endpointWhy = WHY_BAD_ENDPOINT;
    return false;
  }
  // The port follows the LAST comma (IPv6 addresses contain colons, never commas).
  let comma = q;
  while (comma > p && load<u8>(comma - 1) != 0x2c) comma--;
  let hostEnd = q;
  endpointPort = -1;
  if (comma > p) {
    hostEnd = comma - 1;
    endpointPort = portFromText(comma, <i32>(q - comma));
    if (endpointPort < 0) endpointWhy = allDigits(comma, <i32>(q - comma)) ? WHY_BAD_ENDPOINT : WHY_SERVICE_NAME;
  }
  let hs = p;
  // 4.1 `-n`: name[ip]
  if (hostEnd > hs && load<u8>(hostEnd - 1) == 0x5d) {
    let b = hostEnd - 1;
    while (b > hs && load<u8>(b - 1) != 0x5b) b--;
    if (b > hs) {
      hs = b;
      hostEnd = hostEnd - 1;
    }
  }
  const n = <i32>(hostEnd - hs);
  let ok = parseIPv4(hs, n, dst);
  let v6 = false;
  if (!ok) {
    ok = parseIPv6(hs, n, dst);
    v6 = ok;
  }
  store<bool>(isV6Out, v6);
  if (!ok) {
    // 5.1 `-n` prints a bare host or network name; anything else is garbage
    endpointWhy = looksLikeHostName(hs, n) ? WHY_HOST_NAME : WHY_BAD_ENDPOINT;
  }
  p = q;
  return true;
}

const v6Flags: usize = memory.data(2);

/**
 * The common case in one forward pass: a dotted quad, optionally `,` and a decimal port, then
 * a space or the end. Anything else (IPv6, names, service ports, odd digits) returns false
 * with the cursor untouched, for the general path to handle.
 */
function fastIPv4Endpoint(dst: usize): bool {
  let q = p;
  let word: u32 = 0;
  let part: u32 = 0;
  let digits = 0;
  let dots = 0;
  while (q < e) {
    const d = <u32>load<u8>(q) - 0x30;
    if (d <= 9) {
      part = part * 10 + d;
      if (++digits > 3) return false;
    } else if (d == <u32>(0x2e - 0x30)) {
      if (digits == 0 || dots == 3 || part > 255) return false;
      word = (word << 8) | part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      break;
    }
    q++;
  }
  if (dots != 3 || digits == 0 || part > 255) return false;
  word = (word << 8) | part;
  let port: i32 = -1;
  if (q < e && load<u8>(q) == 0x2c) {
    q++;
    let v: u32 = 0;
    let n = 0;
    while (q < e) {
      const d = <u32>load<u8>(q) - 0x30;
      if (d > 9) break;
      v = v * 10 + d;
      if (++n > 5) return false;
      q++;
    }
    if (n == 0 || v > 65535) return false;
    port = <i32>v;
  }
  if (q < e && load<u8>(q) != 0x20) return false;
  store<u64>(dst, 0);
  store<u32>(dst + 8, 0xffff0000);
  store<u32>(dst + 12, bswap<u32>(word));
  endpointPort = port;
  p = q;
  return true;
}

function allDigits(s: usize, n: i32): bool {
  for (let i = 0; i < n; i++) if (<u32>load<u8>(s + i) - 0x30 > 9) return false;
  return n > 0;
}

function looksLikeHostName(s: usize, n: i32): bool {
  if (n < 1 || n > 253) return false;
  // digits and dots only is a malformed IPv4 address, not a name
  let letters = false;
  for (let i = 0; i < n; i++) {
    const c = <u32>load<u8>(s + i);
    const letter = (c | 0x20) - 0x61 <= 25 || c == 0x2d || c == 0x5f;
    if (letter) letters = true;
    else if (!(c - 0x30 <= 9 || c == 0x2e)) return false;
  }
  return letters;
}

function body(r: LineRecord): u8 {
  endpointWhy = 0;
  if (!endpoint(LINE_SRC, v6Flags)) return unparsed(WHY_BAD_ENDPOINT);
  const sport = endpointPort;
  if (!eat4(ARROW)) return unparsed(WHY_BAD_ENDPOINT);
  if (!endpoint(LINE_DST, v6Flags + 1)) return unparsed(WHY_BAD_ENDPOINT);
  const dport = endpointPort;
  if (endpointWhy == WHY_BAD_ENDPOINT) return unparsed(WHY_BAD_ENDPOINT);
  if (endpointWhy == 0 && load<bool>(v6Flags) != load<bool>(v6Flags + 1)) return unparsed(WHY_BAD_ENDPOINT);
  r.isV6 = load<bool>(v6Flags);
  if (!eat4(PR)) return unparsed(WHY_BAD_PROTO);
  const protoStart = p;
  const protoEnd = tokenEnd();
  const proto = protocolFromName(protoStart, <i32>(protoEnd - protoStart));
  if (proto < 0 && endpointWhy == 0) endpointWhy = WHY_UNKNOWN_PROTO;
  r.proto = proto < 0 ? 255 : <u32>proto;
  p = protoEnd;
  if (!eat4(LEN) || !eatByte(0x20)) return unparsed(WHY_BAD_LEN);
  const hl = number();
  if (hl < 0 || !eatByte(0x20)) return unparsed(WHY_BAD_LEN);
  r.hl = <u32>hl;
  let parenLen = false;
  if (eatByte(0x28)) parenLen = true;
  const plen = number();
  // an IP total length: at most 65535, or 40 + 65535 for IPv6 (ipmon-format.md §4.6)
  if (plen < 0 || plen > MAX_PLEN || (parenLen && !eatByte(0x29))) return unparsed(WHY_BAD_LEN);
  r.plen = <u32>plen;
  const hasPortText = sport >= 0 || dport >= 0;
  if (parenLen) {
    // case 5: other protocols and every non-first fragment; only `(frag …)` may follow
    if (eat(" (frag ")) {
      while (p < e && at(0) != 0x29) p++;
      if (!eatByte(0x29)) return unparsed(WHY_BAD_BODY);
      r.fragment = true;
    } else if (eat(" frag ")) {
      // IPFilter 3.4: " frag [+][-]DLEN@OFF" (§4.6)
      p = tokenEnd();
      r.fragment = true;
    }
    if (hasPortText) return unparsed(WHY_BAD_BODY);
  } else if (proto == <i32>PROTO_TCP || proto == <i32>PROTO_UDP) {
    if (r.short) {
      if (hasPortText) return unparsed(WHY_BAD_BODY); // case 2: short packets print no ports
    } else {
      if (sport < 0 && endpointWhy == 0) return unparsed(WHY_BAD_ENDPOINT);
      if (dport < 0 && endpointWhy == 0) return unparsed(WHY_BAD_ENDPOINT);
      r.hasPorts = true;
      r.sport = <u32>sport;
      r.dport = <u32>dport;
      if (proto == <i32>PROTO_TCP && !tcpFlags(r)) return unparsed(WHY_BAD_FLAGS);
    }
  } else if (proto == <i32>PROTO_ICMP || proto == <i32>PROTO_ICMPV6) {
    if (hasPortText) return unparsed(WHY_BAD_BODY);
    if (!icmp(r, proto == <i32>PROTO_ICMPV6)) return unparsed(WHY_BAD_ICMP);
  } else if (hasPortText) {
    return unparsed(WHY_BAD_BODY);
  }
  if (!suffixes(r)) return unparsed(WHY_BAD_SUFFIX);
  if (endpointWhy != 0) r.why = endpointWhy;
  return KIND_PACKET;
}

/** " -FLAGS" and, with ipmon -v, " SEQ ACK WIN" (§4.7). */
function tcpFlags(r: LineRecord): bool {
  if (p + 2 > e || load<u16>(p) != 0x2d20) return false; // " -"
  p += 2;
  let f: u32 = 0;
  while (p < e) {
    const c = at(0);
    let bit: u32 = 0;
    if (c == 0x41) bit = TH_ACK;
    else if (c == 0x52) bit = TH_RST;
    else if (c == 0x53) bit = TH_SYN;
    else if (c == 0x46) bit = TH_FIN;
    else if (c == 0x55) bit = TH_URG;
    else if (c == 0x50) bit = TH_PUSH;
    else if (c == 0x45) bit = TH_ECE;
    else if (c == 0x43) bit = TH_CWR;
    else break;
    f |= bit;
    p++;
  }
  if (p < e && at(0) != 0x20) return false;
  r.tcpFlags = f;
  // -v: three numbers
  if (p + 1 < e && isDigit(at(1))) {
    for (let i = 0; i < 3; i++) {
      if (!eatByte(0x20) || number() < 0) return false;
    }
  }
  return true;
}

/** " icmp NAME/CODE [for …]" or " icmpv6 NAME/CODE" (§4.5 cases 3-4, §4.8). */
function icmp(r: LineRecord, v6: bool): bool {
  if (!(v6 ? eat(" icmpv6 ") : eat(" icmp "))) return false;
  const q = tokenEnd();
  let slash = p;
  while (slash < q && load<u8>(slash) != 0x2f) slash++;
  if (slash == q) return false;
  const t = icmpTypeFromName(p, <i32>(slash - p), v6);
  if (t < 0) return false;
  const c = icmpCodeFromName(<u32>t, slash + 1, <i32>(q - slash - 1), v6);
  if (c < 0) return false;
  r.icmpType = t;
  r.icmpCode = c;
  r.hasPorts = true;
  r.sport = <u32>t;
  r.dport = <u32>c;
  p = q;
  if (!v6 && eat(" for ")) return quotedPacket();
  return true;
}

/** The offending packet quoted by an ICMP error: " for SRC[,P] - DST[,P] PR proto len HL LEN|(LEN)[(frag …)][ icmp T/C]". */
function quotedPacket(): bool {
  p = tokenEnd();
  if (!eat(" - ")) return false;
  p = tokenEnd();
  if (!eat(" PR ")) return false;
  p = tokenEnd();
  if (!eat(" len ")) return false;
  if (number() < 0 || !eatByte(0x20)) return false;
  if (eatByte(0x28)) {
    if (number() < 0 || !eatByte(0x29)) return false;
    if (eat("(frag ")) {
      while (p < e && at(0) != 0x29) p++;
      if (!eatByte(0x29)) return false;
    }
  } else if (number() < 0) {
    return false;
  }
  if (eat(" icmp ")) p = tokenEnd();
  return true;
}

/** The fixed-order markers after the body (§4.1, §4.9); unknown text makes the line unparsed. */
function suffixes(r: LineRecord): bool {
  // Fast path for what nearly every line ends with: " IN", " OUT", " K-S IN", " K-S OUT".
  let rest = e - p;
  if (rest >= 7 && load<u32>(p) == 0x532d4b20) { // " K-S"
    p += 4;
    rest -= 4;
  }
  if (rest == 3 && load<u16>(p) == 0x4920 && load<u8>(p + 2) == 0x4e) {
    r.dir = DIR_IN;
    p = e;
    return true;
  }
  if (rest == 4 && load<u32>(p) == 0x54554f20) {
    r.dir = DIR_OUT;
    p = e;
    return true;
  }
  while (p < e) {
    if (!eatByte(0x20)) return false;
    const q = tokenEnd();
    const n = q - p;
    const c = at(0);
    if (n == 2 && c == 0x49 && at(1) == 0x4e) r.dir = DIR_IN;
    else if (n == 3 && c == 0x4f && at(1) == 0x55 && at(2) == 0x54) r.dir = DIR_OUT;
    else if ((c == 0x6c && eat("log-tag ")) || (c == 0x6e && eat("nat-tag "))) {
      p = tokenEnd();
      continue;
    } else if (n > 7 && c == 0x72 && eat("reason:")) {
      p = q;
      continue;
    } else if (!isMarker(p, n)) {
      return false;
    }
    p = q;
  }
  return true;
}

function isMarker(s: usize, n: usize): bool {
  // K-S K-F low-ttl OOW NEG_OOW bad NAT bad-NAT bad-src multicast broadcast mbcast
  switch (<i32>n) {
    case 3: {
      const w = (<u32>load<u8>(s) << 16) | (<u32>load<u8>(s + 1) << 8) | <u32>load<u8>(s + 2);
      return w == 0x4b2d53 || w == 0x4b2d46 || w == 0x4f4f57 || w == 0x626164 || w == 0x4e4154;
    }
    case 6: return matches(s, n, "mbcast");
    case 7: return matches(s, n, "low-ttl") || matches(s, n, "NEG_OOW") || matches(s, n, "bad-NAT") || matches(s, n, "bad-src");
    case 9: return matches(s, n, "multicast") || matches(s, n, "broadcast");
  }
  return false;
}

function matches(s: usize, n: usize, lit: string): bool {
  if (<usize>lit.length != n) return false;
  const src = changetype<usize>(lit);
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(s + i) != <u32>load<u16>(src + (i << 1))) return false;
  }
  return true;
}
