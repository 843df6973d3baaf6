// One message received from the network -> one ipmon log line, in a form the module's envelope
// parser reads (assembly/parse/envelope.ts; ipmon-format.md §2: BSD `Mmm dd HH:MM:SS host
// tag: `, ISO-8601 / RFC 5424 headers, `<PRI>`). A line is passed on byte for byte as it came,
// except where the parser would otherwise lose or misread something:
//
//   * a header that names no host gets the sender's address as host: BSD syslogd forwards
//     RFC 3164 messages as `<PRI>Mmm dd HH:MM:SS tag: msg` (RFC 3164 §4.1.2 leaves HOSTNAME to
//     the relay), RFC 5424 writes NILVALUE `-` (RFC 5424 §6.2.4). Flows are keyed by logging
//     host, so two firewalls must never share one;
//   * a missing time (RFC 5424 NILVALUE timestamp, or `<PRI>tag: msg` without a header) becomes
//     the time of receipt, as an RFC 3164 §4.3.2 relay would add it, written in --utc-offset;
//   * RFC 5424 structured data the parser cannot step over (several elements, a `]` inside a
//     quoted value) is replaced by `-`, and a UTF-8 BOM before MSG is removed;
//   * trailing CR, LF and NUL bytes are trimmed, and a line feed inside a message is written
//     `#012` (as rsyslog escapes control characters), so one message is always one line.
//
// The hot path (a header that needs nothing) reads a few dozen bytes and allocates nothing.

import { isUtf8 } from 'node:buffer';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const LT = 0x3c;
const GT = 0x3e;
const COLON = 0x3a;
const DASH = 0x2d;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const ESCAPED_LF = Buffer.from('#012');

/** The twelve month names as 24-bit keys (three ASCII bytes), for a test without allocation. */
const MONTH_KEYS = new Set(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  .map((m) => (m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2)));
/** RFC 3164 TAG is at most 32 characters; with "[pid]:" a tag token stays well under this. */
const MAX_TAG = 64;
const isDigit = (b) => b >= 0x30 && b <= 0x39;
const HHMMSS_DIGITS = [0, 1, 3, 4, 6, 7];

/** Minutes east of UTC of a configured utc_offset ("+HH:MM", "Z", or minutes), 0 when unset. */
export function offsetMinutes(utcOffset) {
  if (utcOffset === undefined || utcOffset === null || utcOffset === 'Z') return 0;
  if (typeof utcOffset === 'number') return utcOffset;
  const m = /^([+-])(\d\d):?(\d\d)$/.exec(String(utcOffset));
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** `ms` (epoch) as an ISO-8601 time in the zone `offsetMin` east of UTC, as envelope.ts reads it. */
export function isoTime(ms, offsetMin) {
  const s = new Date(ms + offsetMin * 60_000).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  if (offsetMin === 0) return `${s.slice(0, 23)}000Z`;
  const a = Math.abs(offsetMin);
  const zone = `${offsetMin < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  return `${s.slice(0, 23)}000${zone}`;
}

/** The sender's address as a host token: IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as plain IPv4. */
export function peerHost(address) {
  return address?.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address ?? 'unknown';
}

function monthAt(buf, i) {
  return MONTH_KEYS.has((buf[i] << 16) | (buf[i + 1] << 8) | buf[i + 2]);
}

/**
 * End of a BSD date `Mmm dd HH:MM:SS ` (day space-padded or not) at i, i.e. where the host (or
 * tag) starts; -1 when there is none. Mirrors bsdHeader() in envelope.ts.
 */
function bsdDateEnd(buf, i, end) {
  if (i + 16 > end || !monthAt(buf, i) || buf[i + 3] !== SP) return -1;
  let p = i + 4;
  if (buf[p] === SP) p++;
  if (!isDigit(buf[p])) return -1;
  p++;
  if (isDigit(buf[p])) p++;
  if (buf[p] !== SP) return -1;
  p++;
  if (p + 9 > end || buf[p + 2] !== COLON || buf[p + 5] !== COLON || buf[p + 8] !== SP) return -1;
  for (const k of HHMMSS_DIGITS) if (!isDigit(buf[p + k])) return -1;
  return p + 9;
}

/** End of an ISO-8601 date-time and the space after it at i (the start test of envelope.ts). */
function isoDateEnd(buf, i, end) {
  if (i + 20 > end || !isDigit(buf[i]) || buf[i + 4] !== DASH || buf[i + 7] !== DASH || buf[i + 10] !== 0x54) return -1;
  const sp = tokenEnd(buf, i + 11, end);
  return sp >= end ? -1 : sp + 1;
}

/**
 * End of the token starting at i (the next space, or end). A loop bounded by the message, not
 * buf.indexOf: in a chunk of many messages without spaces that would scan to the chunk's end
 * for each one.
 */
function tokenEnd(buf, i, end) {
  while (i < end && buf[i] !== SP) i++;
  return i;
}

/**
 * Whether [s, t) is a syslog tag rather than a host name: `name:`, `name[pid]:` or `name[pid]`.
 * Host names have no `[`, and no `:` unless they are IPv6 addresses, which have two or more.
 */
export function isTag(buf, s, t) {
  if (t - s < 2 || t - s > MAX_TAG) return false;
  const last = buf[t - 1];
  if (last !== COLON && last !== CLOSE) return false;
  let open = false;
  for (let i = s; i < t - 1; i++) {
    const b = buf[i];
    if (b === COLON) return false;
    if (b === OPEN && i > s) open = true;
  }
  return last === COLON || open;
}

/** Index after `<PRI>` at i (1-3 digits), or i when there is none. */
function priEnd(buf, i, end) {
  if (buf[i] !== LT) return i;
  let q = i + 1;
  while (q < end && q < i + 4 && isDigit(buf[q])) q++;
  return q > i + 1 && q < end && buf[q] === GT ? q + 1 : i;
}

/**
 * End of RFC 5424 STRUCTURED-DATA at i and whether envelope.ts can step over it (it skips to the
 * first `]` of one element): { end, simple }. end is -1 when it is malformed.
 */
function structuredDataEnd(buf, i, end) {
  if (buf[i] === DASH) return { end: i + 1, simple: true };
  let p = i;
  let elements = 0;
  let simple = true;
  while (p < end && buf[p] === OPEN) {
    elements++;
    let quoted = false;
    p++;
    for (;;) {
      if (p >= end) return { end: -1, simple: false };
      const b = buf[p];
      if (quoted) {
        if (b === BACKSLASH) p++;
        else if (b === QUOTE) quoted = false;
        else if (b === CLOSE) simple = false; // the parser would stop here
      } else if (b === QUOTE) {
        quoted = true;
      } else if (b === CLOSE) {
        break;
      }
      p++;
    }
    p++; // past "]"
  }
  return { end: elements ? p : -1, simple: simple && elements === 1 };
}

/** What one message became: the line (without its newline) and what was done to it. */
export class Normalized {
  constructor() {
    this.reset();
  }

  reset() {
    /** Source bytes of an unchanged line: buf[start, end). */
    this.buf = null;
    this.start = 0;
    this.end = 0;
    /** A rewritten line, when not null (then buf/start/end are not used). */
    this.out = null;
    this.hostAdded = false;
    this.timeAdded = false;
    this.invalidUtf8 = false;
  }

  /** The line as one Buffer (a view of the input when unchanged). */
  line() {
    return this.out ?? this.buf.subarray(this.start, this.end);
  }
}

/**
 * Turns the syslog message buf[start, end) from `peer` (an address string) into a line; the
 * result goes into `res` (a Normalized, reused by the caller). `ctx` = { nowMs(), offsetMin }.
 * `lfFree`: the caller knows there is no line feed inside (newline framing). Does not check
 * UTF-8 (callers check whole chunks at once).
 */
export function normalizeSyslog(buf, start, end, peer, ctx, res, lfFree = false) {
  res.reset();
  while (end > start && (buf[end - 1] === LF || buf[end - 1] === CR || buf[end - 1] === 0)) end--;
  res.buf = buf;
  res.start = start;
  res.end = end;
  let pieces = null; // [Buffer|string, ...] when the line is rewritten
  const afterPri = priEnd(buf, start, end);
  const hasPri = afterPri > start;
  if (hasPri && afterPri + 2 <= end && buf[afterPri] === 0x31 && buf[afterPri + 1] === SP) {
    pieces = rfc5424(buf, afterPri + 2, end, peer, ctx, res);
  } else {
    let hostAt = bsdDateEnd(buf, afterPri, end);
    if (hostAt < 0) hostAt = isoDateEnd(buf, afterPri, end);
    if (hostAt >= 0) {
      if (isTag(buf, hostAt, tokenEnd(buf, hostAt, end))) {
        // "Mmm dd HH:MM:SS tag: msg": no host in the header
        pieces = [buf.subarray(start, hostAt), `${peer} `, buf.subarray(hostAt, end)];
        res.hostAdded = true;
      }
    } else if (hasPri && isTag(buf, afterPri, tokenEnd(buf, afterPri, end))) {
      // "<PRI>tag: msg": neither time nor host
      pieces = [buf.subarray(start, afterPri), `${isoTime(ctx.nowMs(), ctx.offsetMin)} ${peer} `, buf.subarray(afterPri, end)];
      res.hostAdded = true;
      res.timeAdded = true;
    }
  }
  if (pieces) res.out = join(pieces);
  if (!lfFree && hasLineFeed(res.out ?? buf, res.out ? 0 : start, res.out ? res.out.length : end)) res.out = escapeLineFeeds(res.line());
  return res;
}

/** RFC 5424 after "<PRI>1 ": TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]. Null when nothing changes. */
function rfc5424(buf, p, end, peer, ctx, res) {
  const pieces = [];
  let from = res.start; // first byte not yet copied into pieces
  const tsEnd = tokenEnd(buf, p, end);
  if (tsEnd === p + 1 && buf[p] === DASH) {
    pieces.push(buf.subarray(from, p), isoTime(ctx.nowMs(), ctx.offsetMin));
    from = tsEnd;
    res.timeAdded = true;
  }
  if (tsEnd >= end) return finish(pieces, buf, from, end);
  const h = tsEnd + 1;
  const hEnd = tokenEnd(buf, h, end);
  if (hEnd === h + 1 && buf[h] === DASH) {
    pieces.push(buf.subarray(from, h), peer);
    from = hEnd;
    res.hostAdded = true;
  }
  // APP-NAME PROCID MSGID
  let q = hEnd;
  for (let k = 0; k < 3 && q < end; k++) q = tokenEnd(buf, q + 1, end);
  if (q >= end) return finish(pieces, buf, from, end);
  const sd = structuredDataEnd(buf, q + 1, end);
  if (sd.end < 0) return finish(pieces, buf, from, end);
  if (!sd.simple) {
    pieces.push(buf.subarray(from, q + 1), '-');
    from = sd.end;
  }
  const msg = sd.end + 1;
  if (msg + 3 <= end && buf[msg] === BOM[0] && buf[msg + 1] === BOM[1] && buf[msg + 2] === BOM[2]) {
    pieces.push(buf.subarray(from, msg));
    from = msg + 3;
  }
  return finish(pieces, buf, from, end);
}

function finish(pieces, buf, from, end) {
  if (pieces.length === 0) return null;
  pieces.push(buf.subarray(from, end));
  return pieces;
}

function join(pieces) {
  return Buffer.concat(pieces.map((x) => (typeof x === 'string' ? Buffer.from(x) : x)));
}

function hasLineFeed(buf, s, e) {
  for (let i = s; i < e; i++) if (buf[i] === LF) return true;
  return false;
}

function escapeLineFeeds(line) {
  const parts = [];
  let s = 0;
  for (let i = line.indexOf(LF); i >= 0; i = line.indexOf(LF, s)) {
    parts.push(line.subarray(s, i), ESCAPED_LF);
    s = i + 1;
  }
  parts.push(line.subarray(s));
  return Buffer.concat(parts);
}

/** Whether buf[start, end) begins with a syslog header envelope.ts reads (after an optional <PRI>). */
export function hasSyslogHeader(buf, start, end) {
  let p = priEnd(buf, start, end);
  if (p > start && p + 2 <= end && buf[p] === 0x31 && buf[p + 1] === SP) return true;
  return bsdDateEnd(buf, p, end) >= 0 || isoDateEnd(buf, p, end) >= 0;
}

const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$/;
const TOKEN_RE = /^[^\s]+$/;

/**
 * One NDJSON event (what Vector's socket sink writes with the json codec) -> a line, into `res`.
 * Returns null, or a rejection { reason, message } when the event has no usable `message`.
 * `message` holding a whole syslog line is used like a received message. Vector's `syslog`
 * source splits the header into fields (timestamp, hostname, appname, procid, source_ip) and
 * leaves only MSG in `message`: such an event gets its header back, `timestamp hostname
 * appname[procid]: message`, with `source_ip` (then the connection's peer) when there is no
 * hostname. Anything else in `message` is taken as the line.
 */
export function normalizeEvent(event, peer, ctx, res) {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    return { reason: 'not_json', message: 'not a JSON object' };
  }
  const m = event.message;
  if (m === undefined) return { reason: 'missing_key', message: 'event has no field "message"' };
  if (typeof m !== 'string') return { reason: 'not_a_string', message: 'field "message" is not a string' };
  const sender = typeof event.source_ip === 'string' && TOKEN_RE.test(event.source_ip) ? peerHost(event.source_ip) : peer;
  if (typeof event.appname === 'string' && TOKEN_RE.test(event.appname)) {
    const named = typeof event.hostname === 'string' && TOKEN_RE.test(event.hostname);
    const timed = typeof event.timestamp === 'string' && ISO_RE.test(event.timestamp);
    const pid = event.procid;
    const tag = pid === undefined || pid === null || pid === '' || !TOKEN_RE.test(String(pid)) ? event.appname : `${event.appname}[${pid}]`;
    const head = `${timed ? event.timestamp : isoTime(ctx.nowMs(), ctx.offsetMin)} ${named ? event.hostname : sender} ${tag}: `;
    // one buffer for the header and the message; the header is used unless the message has one
    const line = Buffer.from(head + m);
    const at = Buffer.byteLength(head);
    if (hasSyslogHeader(line, at, line.length)) {
      normalizeSyslog(line, at, line.length, sender, ctx, res);
    } else {
      normalizeSyslog(line, 0, line.length, sender, ctx, res);
      if (!named) res.hostAdded = true;
      if (!timed) res.timeAdded = true;
    }
    return null;
  }
  const bytes = Buffer.from(m);
  normalizeSyslog(bytes, 0, bytes.length, sender, ctx, res);
  return null;
}

/** Whether bytes are valid UTF-8 (native check). */
export const validUtf8 = (buf) => isUtf8(buf);
