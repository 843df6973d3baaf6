// The envelope around an ipmon message, and the date context that places its time.
//
// Envelopes (ipmon-format.md §2): BSD syslog `Mmm dd HH:MM:SS host tag[pid]: `, ISO-8601 /
// RFC 5424 headers (rsyslog), a relay's `<PRI>`, and the Solaris `[ID 702911 fac.lvl] ` and
// relay `[fac.lvl] ` tags. Then ipmon's own time prefix (§3): `[dd/mm/yyyy ]HH:MM:SS.uuuuuu`.
// A syslog date has no year and a header is written after the packet was logged, so the
// header's date and time of day are kept to place ipmon's time of day (placeIpmonTime).

import { civilToUs, dayStart, daysFromCivil, monthFromName, validDate, US_PER_DAY, US_PER_SECOND } from "./clock";
import { at, clockTime, digits, e, eatByte, isDigit, p, tokenEnd } from "./cursor";
import { line, LineRecord, unparsed, WHY_BAD_DATE, WHY_NO_DATE, WHY_NO_TIME, WHY_NOT_IPMON } from "./record";
import { zoneOf, zoneOffsetMinutes } from "./zones";

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

// ── the syslog header of the current line ─────────────────────────────────────────────────────
/** Local midnight (µs) of the header's date, -1 without a syslog header. */
let headerDayUs: i64 = -1;
/** The header's local time of day in seconds. */
let headerSecs: i32 = -1;
/** UTC offset (µs) the header's date and time are in. */
let headerOffsetUs: i64 = 0;
/** UTC offset (µs) of the line's logging host: its own (zones.ts), else the configured one. */
let lineOffsetUs: i64 = 0;
/** That offset was configured (for the host or for all), not the default. */
let lineOffsetKnown = false;

/**
 * Peels the envelope off the line at the cursor, leaving the cursor on the ipmon message.
 * Returns false (the line marked unparsed) when a header is there but broken.
 */
export function envelope(start: usize): bool {
  headerDayUs = -1;
  headerSecs = -1;
  headerOffsetUs = utcOffsetUs;
  lineOffsetUs = utcOffsetUs;
  lineOffsetKnown = utcOffsetKnown;
  if (at(0) == 0x3c) {
    // <PRI> prefix as some relays write it
    let q = p + 1;
    while (q < e && q < p + 5 && isDigit(<u32>load<u8>(q))) q++;
    if (q < e && load<u8>(q) == 0x3e) p = q + 1;
    if (p + 2 <= e && at(0) == 0x31 && at(1) == 0x20) p += 2; // RFC 5424 version "1 "
  }
  if (p + 16 <= e && monthFromName(p) != 0 && at(3) == 0x20) {
    if (!bsdHeader(start)) return false;
  } else if (p + 20 <= e && isDigit(at(0)) && at(4) == 0x2d && at(7) == 0x2d && at(10) == 0x54) {
    if (!isoHeader()) return false;
  }
  // Relay and Solaris message-ID tags: "[local2.info] " and "[ID 702911 local2.info] " (§2.3).
  while (p < e && at(0) == 0x5b) {
    let q = p + 1;
    while (q < e && load<u8>(q) != 0x5d) q++;
    if (q + 1 >= e || load<u8>(q + 1) != 0x20) break;
    p = q + 2;
  }
  return true;
}

/** BSD: "Mmm dd HH:MM:SS host tag: " (day space-padded). */
function bsdHeader(start: usize): bool {
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
    if (day < 1 || !eatByte(0x20)) return fail(WHY_NOT_IPMON);
    const year = syslogYearFor(month, day);
    if (!validDate(year, month, day)) return fail(WHY_BAD_DATE);
    headerDayUs = civilToUs(year, month, day, 0, 0, 0, 0);
    lastSyslogDateKey = p - start == 7 ? dateKey : 0;
    lastSyslogDayUs = headerDayUs;
  }
  const secs = clockTime();
  if (secs < 0 || !eatByte(0x20)) return fail(WHY_NOT_IPMON);
  headerSecs = secs;
  if (!syslogHostAndTag()) return fail(WHY_NOT_IPMON);
  // the firewall's syslogd wrote the header in the firewall's own zone
  headerOffsetUs = lineOffsetUs;
  return true;
}

/** ISO 8601 / RFC 5424 / rsyslog high-precision: YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm). */
function isoHeader(): bool {
  const y = digits(4);
  p++;
  const mo = digits(2);
  p++;
  const d = digits(2);
  p++;
  const secs = clockTime();
  if (y < 0 || mo < 0 || d < 0 || secs < 0 || !validDate(y, mo, d)) return fail(WHY_BAD_DATE);
  if (eatByte(0x2e)) while (p < e && isDigit(at(0))) p++;
  if (eatByte(0x5a)) {
    headerOffsetUs = 0;
  } else if (p < e && (at(0) == 0x2b || at(0) == 0x2d)) {
    const neg = at(0) == 0x2d;
    p++;
    const oh = digits(2);
    eatByte(0x3a);
    const om = digits(2);
    if (oh < 0 || om < 0) return fail(WHY_BAD_DATE);
    headerOffsetUs = (<i64>(oh * 60 + om) * 60 * US_PER_SECOND) * (neg ? -1 : 1);
  }
  if (!eatByte(0x20)) return fail(WHY_NOT_IPMON);
  // the host comes after the time: only then is the firewall's zone known
  const zoneOffsetUs = headerOffsetUs;
  if (!syslogHostAndTag()) return fail(WHY_NOT_IPMON);
  if (lineOffsetKnown) {
    // The header's zone is the relay's; ipmon's time of day is the firewall's, which the
    // configuration gives: move the header into the firewall's local time, then place
    // ipmon's time near it as for BSD headers.
    const local = civilToUs(y, mo, d, 0, 0, 0, 0) + <i64>secs * US_PER_SECOND - zoneOffsetUs + lineOffsetUs;
    headerDayUs = dayStart(local);
    headerSecs = <i32>((local - headerDayUs) / US_PER_SECOND);
    headerOffsetUs = lineOffsetUs;
  } else {
    // Not configured: the best guess for the firewall's zone is the header's own.
    headerDayUs = civilToUs(y, mo, d, 0, 0, 0, 0);
    headerSecs = secs;
  }
  return true;
}

function fail(why: u8): bool {
  unparsed(why);
  return false;
}

// ── ipmon's time prefix (§3) ──────────────────────────────────────────────────────────────────
// @ts-ignore: decorator
@inline export const TIME_OK: i32 = 1;
// @ts-ignore: decorator
@inline export const TIME_NONE: i32 = 0;
// @ts-ignore: decorator
@inline export const TIME_BAD: i32 = -1;

/**
 * Reads ipmon's `[dd/mm/yyyy ]HH:MM:SS.uuuuuu ` at the cursor into r.timeUs. TIME_NONE (cursor
 * unmoved) when there is no time of day: a status line, placed by placeHeaderTime instead.
 */
export function ipmonTime(r: LineRecord): i32 {
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
      if (d < 0 || mo < 0 || y < 0 || !eatByte(0x20)) return bad(WHY_NO_TIME);
      if (!validDate(y, mo, d)) return bad(WHY_BAD_DATE);
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
    return TIME_NONE;
  }
  const usec = digits(6);
  if (usec < 0 || !eatByte(0x20)) return bad(WHY_NO_TIME);
  // Place the time of day on a date.
  let offset = lineOffsetUs;
  if (localDayUs < 0 && headerDayUs >= 0) {
    localDayUs = headerDayUs;
    offset = headerOffsetUs;
    // The header is written after the packet was logged: an ipmon time far "later" than the
    // header's belongs to the previous day (23:59:59.9 logged, relayed at 00:00:01).
    if (secs - headerSecs > 43200) localDayUs -= US_PER_DAY;
    else if (headerSecs - secs > 43200) localDayUs += US_PER_DAY;
  }
  if (localDayUs < 0) {
    if (lastLocalDayUs < 0) return bad(WHY_NO_DATE);
    localDayUs = lastLocalDayUs;
  }
  lastLocalDayUs = localDayUs;
  r.timeUs = localDayUs + <i64>secs * US_PER_SECOND + <i64>usec - offset;
  r.hasTime = true;
  return TIME_OK;
}

function bad(why: u8): i32 {
  unparsed(why);
  return TIME_BAD;
}

/** A line without ipmon's time (status lines, hex rows) takes the syslog header's, if any. */
export function placeHeaderTime(r: LineRecord): void {
  if (headerDayUs < 0) return;
  r.timeUs = headerDayUs + <i64>headerSecs * US_PER_SECOND - headerOffsetUs;
  r.hasTime = true;
  lastLocalDayUs = headerDayUs;
}

/** Skips "host tag[pid]: " of a syslog header, noting the host as the observer. */
function syslogHostAndTag(): bool {
  const r = line;
  const hostEnd = tokenEnd();
  if (hostEnd == p || hostEnd >= e) return false;
  r.observerPtr = p;
  r.observerLen = <i32>(hostEnd - p);
  const z = zoneOf(p, r.observerLen);
  if (z >= 0) {
    lineOffsetUs = <i64>zoneOffsetMinutes(z) * 60 * US_PER_SECOND;
    lineOffsetKnown = true;
  }
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
