// Host ABI for Fluent Bit's `wasm` filter (fluent-bit-wasm.md §1; configs in fluent-bit/).
//
// Contract:
//   filter_ipmon_flow(tag, tag_len, time_sec, time_nsec, record, record_len) -> ptr
//   - `record` is the record body as JSON (Event_Format json), copied in by the host into
//     WAMR's app heap (the module exports no allocator; hosts/wamrheap.ts keeps that heap apart,
//     §1.5), freed after the call, and
//     NUL-terminated; record_len excludes the NUL. The tag is not used.
//   - Returns 0 (the host drops the record) when nothing is due; else a pointer to one
//     NUL-terminated UTF-8 JSON object: one record (flow summary, forwarded line, stats,
//     rejected record), or an envelope {"records":[r1,r2,...],"ipmon_envelope":"1"}. One call
//     can emit only one record (§1.2): extra records due in a log call wait for the next calls
//     (records/deferred.ts); control records, or more due than may wait, get everything in one
//     envelope. fluent-bit/split.lua turns an envelope into one record each; a rewrite_tag filter
//     on the marker sends only envelopes to it (fluent-bit.conf), since Lua costs every record.
//   - The returned bytes stay valid until the next call; Fluent Bit copies them at once (§1.2).
//
// Records in:
//   - Log records carry ipmon text in the configured key (default "log", else "message"), one
//     line or several separated by \n.
//   - Control records carry "ipmon_flow": "tick" | "stats" | "flush" | {configuration}, from a
//     `dummy` heartbeat input (Fluent Bit has no timer callback, §1.7). A tick moves the event
//     clock on by the wall time that passed since the last log record, measured with the
//     records' own time_sec/time_nsec, never to the wall clock itself.
//   - Until the first control record arrives, log lines are held (bounded) so that the
//     configuration it carries applies from the first line.
// Anything else gets a defined answer: an "ipmon.rejected" record that says why, or 0.

import * as config from "../config";
import { applyConfig, configError } from "../config";
import { US_PER_DAY, US_PER_SECOND, dayStart, putIsoTime } from "../parse/clock";
import {
  advanceClock, engineClock, engineInit, ensureEngine, flushAll, processLine, replanSweep, writeStats,
} from "../engine";
import { tableCapacity } from "../flows/flowtable";
import {
  J_NUMBER, J_OBJECT, J_STRING, beginObject, decodeString, keyIs, keyIsBytes, keyStart, nextMember, plainStringEnd,
  valueEnd, valueEscaped, valueIs, valueStart, valueType,
} from "./jsonrecord";
import { setDateContext, setFallbackDay } from "../parse/line";
import {
  MODE_ARRAY, PLACES_KEPT, beginRecord, commit, endRecord, outLen, outPtr, outRecords, outReset, putAscii, putByte, putBytes,
  putJsonText, putU64, recordEnd, recordStart, reserve,
} from "../records/output";
import { defer, deferFits, deferredCount, deferredSpan, deferredSpanLen, dropAll, dropOldest, oldestLen } from "../records/deferred";

// ── limits ───────────────────────────────────────────────────────────────────────────────────
/** Longest value (JSON text of the key) accepted as log text; ipmon lines are < 1 KiB. */
// @ts-ignore: decorator
@inline const MAX_TEXT: usize = 65536;
/** Log bytes held while waiting for the first control record (then it starts with defaults). */
// @ts-ignore: decorator
@inline const HOLD_MAX_BYTES: usize = 4 << 20;
/** ... or this much record time between the first and the latest held record. */
// @ts-ignore: decorator
@inline const HOLD_MAX_US: i64 = 10 * US_PER_SECOND;
/** Bytes of a rejected record quoted in its message. */
// @ts-ignore: decorator
@inline const QUOTE_BYTES: usize = 256;
/** Longest configurable record key. */
// @ts-ignore: decorator
@inline const KEY_CAP: usize = 64;

// ── rejection reasons ────────────────────────────────────────────────────────────────────────
// @ts-ignore: decorator
@inline const R_EMPTY: i32 = 0;
// @ts-ignore: decorator
@inline const R_BAD_POINTER: i32 = 1;
// @ts-ignore: decorator
@inline const R_NOT_JSON: i32 = 2;
// @ts-ignore: decorator
@inline const R_MISSING_KEY: i32 = 3;
// @ts-ignore: decorator
@inline const R_NOT_A_STRING: i32 = 4;
// @ts-ignore: decorator
@inline const R_TOO_LONG: i32 = 5;
// @ts-ignore: decorator
@inline const R_BAD_CONTROL: i32 = 6;
/** WAMR could not copy the record into its app heap and passed address 0 (§1.5). */
// @ts-ignore: decorator
@inline const R_NO_COPY: i32 = 7;

/** Decoded log text when the JSON value had escapes (else the text is read in place). */
const textBuf: usize = memory.data(<i32>MAX_TEXT);
/** The configured record key; length 0 means the default ("log", else "message"). */
const keyBuf: usize = memory.data(<i32>KEY_CAP);
let keyLen: usize = 0;
/** A new key being checked (keyBuf changes only once the whole configuration is accepted). */
const keyScratch: usize = memory.data(<i32>KEY_CAP);

let statsIntervalUs: i64 = 0;
let lastStatsUs: i64 = -1;

// Start-up hold: [time i64][length u32, top bit = multiline][bytes] entries in one heap.alloc buffer.
let holding = true;
let hold: usize = 0;
let holdLen: usize = 0;
let holdCap: usize = 0;
let holdFirstUs: i64 = 0;

/** A line went into the engine since the last (re)configuration. */
let started = false;
/** The year came from the configuration (else the first record's time sets it). */
let yearSet = false;
/** The last configuration object seen, byte for byte, so a repeated one costs a compare. */
let lastConfig: usize = 0;
let lastConfigLen: usize = 0;
let lastConfigCap: usize = 0;

// Heartbeat clock: the log went quiet at anchorWallUs (record time) when the engine clock was
// anchorClockUs; a tick at wall time W moves the engine clock to anchorClockUs + (W - anchorWallUs).
let lastLogUs: i64 = 0;
let logSinceTick = false;
let prevTickUs: i64 = -1;
let anchored = false;
let anchorWallUs: i64 = 0;
let anchorClockUs: i64 = 0;

/** Fluent Bit's entry: one record in, 0 or a pointer to one NUL-terminated record or envelope out. */
export function filter_ipmon_flow(tagPtr: usize, tagLen: u32, timeSec: u32, timeNsec: u32, recPtr: usize, recLen: u32): usize {
  // The minimal runtime collects only when asked, and nothing managed of ours is on the stack
  // here: a safe point. What it frees is what parsing configuration records left (json-as);
  // log records allocate nothing, and Fluent Bit's copies live in WAMR's own heap.
  if (++callsSinceCollect >= COLLECT_EVERY) {
    callsSinceCollect = 0;
    __collect();
  }
  const nowUs = <i64>timeSec * US_PER_SECOND + <i64>(timeNsec / 1000);
  // Room for the envelope's head, written only if an envelope follows (most calls return 0).
  outReset(MODE_ARRAY);
  reserve(ENVELOPE_HEAD_LEN);
  commit(ENVELOPE_HEAD_LEN);
  controlCall = false;
  handleRecord(recPtr, <usize>recLen, nowUs);
  const due = outRecords();
  const waiting = deferredCount();
  if (due + waiting == 0) return 0;
  if (due + waiting == 1) return due == 1 ? oneInPlace() : oneDeferred();
  // the call's own first record goes back now unless older ones wait
  const from = waiting == 0 ? 1 : 0;
  if (!controlCall && canDefer(from, due)) {
    // A log record: hand back the oldest due record alone and keep the rest for the next
    // calls, most of which return nothing (one flow record per ~20 lines). An envelope would
    // cost Fluent Bit a rewrite_tag re-emit and a Lua split. Control records (the heartbeat
    // every second, flush, stats) hand back everything, so nothing waits past a heartbeat.
    deferNew(from, due);
    return from == 1 ? oneInPlace() : oneDeferred();
  }
  return envelope(due, waiting);
}

/** The record being handled was a control record (handleRecord → control). */
let controlCall = false;

/** Whether the call's records [from, due) fit beside the waiting ones. */
function canDefer(from: i32, due: i32): bool {
  if (due > PLACES_KEPT) return false;
  if (from >= due) return true;
  return deferFits(due - from, recordEnd(due - 1) - recordStart(from));
}

/** Moves the call's records [from, due) to the waiting ones. */
function deferNew(from: i32, due: i32): void {
  for (let i = from; i < due; i++) defer(outPtr() + recordStart(i), recordEnd(i) - recordStart(i));
}

/** Returns the call's first record as it is, cut off after its end. */
function oneInPlace(): usize {
  store<u8>(outPtr() + recordEnd(0), 0);
  return outPtr() + recordStart(0);
}

/** Returns the oldest waiting record as it is (the call's own records already wait behind it). */
function oneDeferred(): usize {
  const n = oldestLen();
  outReset(MODE_ARRAY);
  putBytes(deferredSpan(), n);
  putByte(0);
  dropOldest();
  return outPtr();
}

/** Returns every waiting record, then the call's, in one envelope for split.lua. */
function envelope(due: i32, waiting: i32): usize {
  if (waiting > 0) {
    // the waiting records go first, before the call's, which move up to make room
    const span = deferredSpanLen();
    const gap = span + (due > 0 ? 1 : 0);
    const news = <usize>outLen() - ENVELOPE_HEAD_LEN;
    reserve(gap);
    memory.copy(outPtr() + ENVELOPE_HEAD_LEN + gap, outPtr() + ENVELOPE_HEAD_LEN, news);
    memory.copy(outPtr() + ENVELOPE_HEAD_LEN, deferredSpan(), span);
    if (due > 0) store<u8>(outPtr() + ENVELOPE_HEAD_LEN + span, 0x2c);
    commit(gap);
    dropAll();
  }
  putAscii(ENVELOPE_TAIL);
  putByte(0);
  // the buffer may have moved while records were written: its start is only known now
  memory.copy(outPtr(), ENVELOPE_HEAD, ENVELOPE_HEAD_LEN);
  return outPtr();
}

// @ts-ignore: decorator
@inline const COLLECT_EVERY: u32 = 1024;
let callsSinceCollect: u32 = 0;

/**
 * Closes an envelope: the marker is a top-level string that Fluent Bit's rewrite_tag can match
 * (its rules match strings only, not the records array), to send envelopes alone to split.lua.
 */
const ENVELOPE_TAIL = '],"ipmon_envelope":"1"}';

/** `{"records":[` as UTF-8. */
const ENVELOPE_HEAD: usize = memory.data<u8>([0x7b, 0x22, 0x72, 0x65, 0x63, 0x6f, 0x72, 0x64, 0x73, 0x22, 0x3a, 0x5b]);
// @ts-ignore: decorator
@inline const ENVELOPE_HEAD_LEN: usize = 12;

/**
 * `{"<key>":"` for the record key (configured, else "log"): what a record `tail` hands over
 * starts with, so the fast path compares it and skips the JSON walk. Length 0 when the key has
 * bytes Fluent Bit would escape (then every record takes the walk).
 */
const fastHead: usize = memory.data(<i32>KEY_CAP + 6);
let fastHeadLen: usize = 0;

/** `log` as UTF-8: the default key. */
const LOG_KEY: usize = memory.data<u8>([0x6c, 0x6f, 0x67]);

/** Sets fastHead for the record key now in force. */
function setFastHead(): void {
  const k = keyLen > 0 ? keyBuf : LOG_KEY;
  const n = keyLen > 0 ? keyLen : 3;
  fastHeadLen = 0;
  for (let i: usize = 0; i < n; i++) {
    const c = <u32>load<u8>(k + i);
    if (c < 0x20 || c > 0x7e || c == 0x22 || c == 0x5c) return;
  }
  store<u16>(fastHead, 0x227b); // {"
  memory.copy(fastHead + 2, k, n);
  store<u16>(fastHead + 2 + n, 0x3a22); // ":
  store<u8>(fastHead + 4 + n, 0x22); // "
  fastHeadLen = n + 5;
}
setFastHead();

function handleRecord(rec: usize, n: usize, nowUs: i64): void {
  if (rec == 0 && n > 0) {
    reject(R_NO_COPY, 0, n, nowUs);
    return;
  }
  if (rec == 0 || n == 0) {
    reject(R_EMPTY, 0, n, nowUs);
    return;
  }
  if (<u64>rec + <u64>n > (<u64>memory.size() << 16)) {
    reject(R_BAD_POINTER, 0, n, nowUs);
    return;
  }
  // Fast path for what `tail` hands over: exactly {"<key>":"<line without escapes>"}.
  const h = fastHeadLen;
  if (h > 0 && n > h + 2 && memory.compare(rec, fastHead, h) == 0) {
    const close = plainStringEnd(rec + h, rec + n);
    if (close + 2 == rec + n && load<u8>(close) == 0x22 && load<u8>(close + 1) == 0x7d) {
      logValue(J_STRING, rec + h - 1, close + 1, false, rec, n, nowUs);
      return;
    }
  }
  if (!beginObject(rec, n)) {
    reject(R_NOT_JSON, rec, n, nowUs);
    return;
  }
  // With the default key, "log" wins over "message" wherever each appears.
  let altType = 0;
  let altStart: usize = 0;
  let altEnd: usize = 0;
  let altEscaped = false;
  while (true) {
    const r = nextMember();
    if (r < 0) {
      reject(R_NOT_JSON, rec, n, nowUs);
      return;
    }
    if (r == 0) break;
    if (keyIs("ipmon_flow")) {
      control(rec, n, nowUs);
      return;
    }
    if (keyLen > 0 ? keyIsBytes(keyBuf, keyLen) : keyIs("log")) {
      logValue(valueType, valueStart, valueEnd, valueEscaped, rec, n, nowUs);
      return;
    }
    if (keyLen == 0 && altType == 0 && keyIs("message")) {
      altType = valueType;
      altStart = valueStart;
      altEnd = valueEnd;
      altEscaped = valueEscaped;
    }
  }
  if (altType != 0) logValue(altType, altStart, altEnd, altEscaped, rec, n, nowUs);
  else reject(R_MISSING_KEY, rec, n, nowUs);
}

// ── log records ──────────────────────────────────────────────────────────────────────────────

function logValue(type: i32, start: usize, stop: usize, escaped: bool, rec: usize, n: usize, nowUs: i64): void {
  if (type != J_STRING) {
    reject(R_NOT_A_STRING, rec, n, nowUs);
    return;
  }
  let p = start + 1;
  let len = stop - start - 2;
  if (len > MAX_TEXT) {
    reject(R_TOO_LONG, rec, n, nowUs);
    return;
  }
  if (escaped) {
    const m = decodeString(p, p + len, textBuf, MAX_TEXT);
    if (m < 0) {
      reject(R_NOT_JSON, rec, n, nowUs);
      return;
    }
    p = textBuf;
    len = <usize>m;
  }
  if (holding && holdText(p, len, nowUs, escaped)) return;
  if (holding) release();
  processText(p, len, nowUs, escaped);
}

/**
 * Feeds each \n-separated line of the text to the engine. Only text that had escapes can hold
 * a newline (JSON writes it as \n), so the common record skips the search.
 */
function processText(p: usize, n: usize, nowUs: i64, multiline: bool): void {
  if (!started) start(nowUs);
  if (!multiline) {
    processOne(p, n, nowUs);
  } else {
    const e = p + n;
    while (true) {
      let q = p;
      while (q < e && load<u8>(q) != 0x0a) q++;
      processOne(p, q - p, nowUs);
      if (q >= e) break;
      p = q + 1;
    }
  }
  lastLogUs = nowUs;
  logSinceTick = true;
}

function processOne(p: usize, n: usize, nowUs: i64): void {
  ensureEngine(); // before setFallbackDay: a first initialisation resets the date context
  // A line that starts with a bare time of day lost its date to a syslog parser upstream: date
  // it by the record's own time, taking the day that puts it nearest (a line logged at
  // 23:59:59.9 and read at 00:00:00.1 belongs to the day before).
  if (n >= 9 && load<u8>(p + 2) == 0x3a && load<u8>(p + 5) == 0x3a && isDigit(p) && isDigit(p + 1)) {
    const secs = <i64>(twoDigits(p) * 3600 + twoDigits(p + 3) * 60 + twoDigits(p + 6));
    if (secs >= 0) {
      const offsetUs = <i64>config.utcOffsetMinutes * 60 * US_PER_SECOND;
      const local = nowUs + offsetUs;
      let day = dayStart(local);
      const at = day + secs * US_PER_SECOND;
      if (at - local > US_PER_DAY / 2) day -= US_PER_DAY;
      else if (local - at > US_PER_DAY / 2) day += US_PER_DAY;
      setFallbackDay(day - offsetUs);
    }
  }
  processLine(p, <i32>n);
}

/** First line since (re)configuration: without a configured year, the record's time gives it. */
function start(nowUs: i64): void {
  started = true;
  if (yearSet) return;
  // Syslog dates take the latest year that does not put them after this first record's time
  // (config.ts reference_time): a December line read just after New Year stays in December's
  // year. Once per (re)configuration, so a string is fine here.
  if (nowUs <= 0) return;
  if (applyConfig('{"reference_time":' + (nowUs / US_PER_SECOND).toString() + "}")) {
    setDateContext(config.year, config.utcOffsetMinutes, config.utcOffsetSet, config.referenceTimeUs);
  }
}

// ── start-up hold ────────────────────────────────────────────────────────────────────────────

/** Keeps a line until the first control record; false if the hold is full (caller releases). */
function holdText(p: usize, n: usize, nowUs: i64, multiline: bool): bool {
  if (holdLen == 0) holdFirstUs = nowUs;
  const need = holdLen + 12 + n;
  if (need > HOLD_MAX_BYTES || nowUs - holdFirstUs >= HOLD_MAX_US) return false;
  if (need > holdCap) {
    let c: usize = holdCap == 0 ? 1 << 16 : holdCap << 1;
    while (c < need) c <<= 1;
    hold = hold == 0 ? heap.alloc(c) : heap.realloc(hold, c);
    holdCap = c;
  }
  const at = hold + holdLen;
  store<i64>(at, nowUs);
  store<u32>(at, <u32>n | (multiline ? 0x80000000 : 0), 8);
  memory.copy(at + 12, p, n);
  holdLen = need;
  return true;
}

/** Ends the hold: every held line goes through the engine, in order, with its own time. */
function release(): void {
  holding = false;
  let p = hold;
  const e = hold + holdLen;
  while (p < e) {
    const t = load<i64>(p);
    const w = load<u32>(p, 8);
    const n = <usize>(w & 0x7fffffff);
    processText(p + 12, n, t, (w & 0x80000000) != 0);
    p += 12 + n;
  }
  if (hold != 0) heap.free(hold);
  hold = 0;
  holdLen = 0;
  holdCap = 0;
}

// ── control records ──────────────────────────────────────────────────────────────────────────

function control(rec: usize, n: usize, nowUs: i64): void {
  controlCall = true;
  if (valueType == J_OBJECT) {
    configure(valueStart, valueEnd, nowUs);
    if (holding) release();
    tick(nowUs);
    return;
  }
  if (valueIs("tick")) {
    if (holding) release();
    tick(nowUs);
  } else if (valueIs("stats")) {
    if (holding) release();
    tick(nowUs);
    writeStats();
  } else if (valueIs("flush")) {
    if (holding) release();
    tick(nowUs);
    flushAll();
  } else {
    reject(R_BAD_CONTROL, rec, n, nowUs);
  }
}

/** A heartbeat at record time nowUs: advance the event clock by the quiet wall time, sweep. */
function tick(nowUs: i64): void {
  if (logSinceTick) {
    // The log went quiet at the last log record's time, if that time is a wall time between
    // the previous tick and this one. Otherwise (first tick, or records stamped with old
    // parsed times while a backlog is read) take "now": the clock then waits one heartbeat
    // rather than jumping by the age of the log.
    const q = lastLogUs;
    anchorWallUs = prevTickUs >= 0 && q >= prevTickUs && q <= nowUs ? q : nowUs;
    anchorClockUs = engineClock();
    anchored = true;
    logSinceTick = false;
  }
  if (anchored && engineClock() > 0) advanceClock(anchorClockUs + (nowUs - anchorWallUs));
  prevTickUs = nowUs;
  if (statsIntervalUs > 0) {
    if (lastStatsUs < 0) {
      lastStatsUs = nowUs;
    } else if (nowUs - lastStatsUs >= statsIntervalUs) {
      writeStats();
      lastStatsUs = nowUs;
    }
  }
}

/** Applies the configuration object [start, stop) if it differs from the last one seen. */
function configure(start: usize, stop: usize, nowUs: i64): void {
  const n = stop - start;
  if (n == lastConfigLen && lastConfig != 0 && memory.compare(lastConfig, start, n) == 0) return;
  if (n > lastConfigCap) {
    if (lastConfig != 0) heap.free(lastConfig);
    lastConfig = heap.alloc(n);
    lastConfigCap = n;
  }
  memory.copy(lastConfig, start, n);
  lastConfigLen = n;

  // Split off the keys this host owns; the rest is the engine's (config.ts), which names any
  // unknown key in its error. Host keys are checked first so that a bad one changes nothing.
  const rest = heap.alloc(n + 2);
  let restLen: usize = 0;
  store<u8>(rest, 0x7b);
  restLen = 1;
  let newKey: usize = 0;
  let newKeyLen: isize = -1;
  let newStatsUs: i64 = -1;
  let hasYear = false;
  let error: string | null = null;
  beginObject(start, n);
  while (true) {
    const r = nextMember();
    if (r < 0) {
      error = "configuration must be a JSON object";
      break;
    }
    if (r == 0) break;
    if (keyIs("key")) {
      if (valueType != J_STRING) {
        error = "configuration key 'key' must be the name of the record field that holds the ipmon line";
        break;
      }
      newKey = valueStart + 1;
      newKeyLen = <isize>(valueEnd - valueStart - 2);
      if (valueEscaped) {
        newKeyLen = decodeString(newKey, valueEnd - 1, keyScratch, KEY_CAP);
        newKey = keyScratch;
      }
      if (newKeyLen <= 0 || <usize>newKeyLen > KEY_CAP) {
        error = "configuration key 'key' must be 1 to 64 bytes long";
        break;
      }
    } else if (keyIs("stats_interval")) {
      newStatsUs = seconds(valueStart, valueEnd);
      if (newStatsUs < 0) {
        error = "configuration key 'stats_interval' must be a number of seconds from 0 to 31536000 (0 = never)";
        break;
      }
    } else {
      if (keyIs("year")) hasYear = true;
      if (restLen > 1) {
        store<u8>(rest + restLen, 0x2c);
        restLen++;
      }
      // the member as written: from the key's opening quote to the end of its value
      const from = keyStart - 1;
      memory.copy(rest + restLen, from, valueEnd - from);
      restLen += valueEnd - from;
    }
  }
  store<u8>(rest + restLen, 0x7d);
  restLen++;

  if (error === null) {
    const capacityBefore = tableCapacity();
    const yearBefore = config.year;
    const offsetBefore = config.utcOffsetMinutes;
    if (!applyConfig(String.UTF8.decodeUnsafe(rest, restLen))) {
      error = configError(); // all or nothing: no setting changed
    } else {
      if (newKeyLen >= 0) {
        memory.copy(keyBuf, newKey, <usize>newKeyLen);
        keyLen = <usize>newKeyLen;
        setFastHead();
      }
      if (newStatsUs >= 0) {
        statsIntervalUs = newStatsUs;
        lastStatsUs = -1;
      }
      if (hasYear) yearSet = true;
      if (!started) {
        engineInit();
      } else if (
        config.capacity != capacityBefore || config.year != yearBefore || config.utcOffsetMinutes != offsetBefore
      ) {
        // A new table, or dates read on another basis: the open flows are reported (forced_end)
        // and the clock starts again, so later lines are not measured against a clock that a
        // different year or offset set (seen in a real Fluent Bit when the first heartbeat came
        // after the start-up hold had let lines through with the record time's year).
        flushAll();
        engineInit();
        started = false;
      } else {
        replanSweep(); // a shorter timeout applies at the next heartbeat, not after the old one
      }
    }
  }
  heap.free(rest);
  if (error !== null) writeConfigError(error, nowUs);
}

/** A non-negative JSON number of seconds [p, e) as µs, or -1. Fractions to the microsecond. */
function seconds(p: usize, e: usize): i64 {
  if (valueType != J_NUMBER) return -1;
  let v: i64 = 0;
  let q = p;
  let digits = 0;
  while (q < e && isDigit(q)) {
    v = v * 10 + <i64>(load<u8>(q) - 0x30);
    q++;
    if (++digits > 9) return -1;
  }
  if (digits == 0) return -1;
  v *= US_PER_SECOND;
  if (q < e && load<u8>(q) == 0x2e) {
    q++;
    let scale = US_PER_SECOND / 10;
    while (q < e && isDigit(q)) {
      v += <i64>(load<u8>(q) - 0x30) * scale;
      scale /= 10;
      q++;
    }
  }
  if (q != e || v > 31536000 * US_PER_SECOND) return -1;
  return v;
}

// ── records this host writes ─────────────────────────────────────────────────────────────────

/** An "ipmon.rejected" record: the input record and why it was not used. */
function reject(reason: i32, rec: usize, n: usize, nowUs: i64): void {
  beginRecord();
  putAscii('{"@timestamp":"');
  putIsoTime(nowUs);
  putAscii('","ecs":{"version":"8.17.0"},"event":{"kind":"pipeline_error","module":"ipmon","dataset":"ipmon.rejected"}');
  if (rec != 0) {
    putAscii(',"message":"');
    putJsonText(rec, n < QUOTE_BYTES ? n : QUOTE_BYTES);
    putByte(0x22);
  }
  putAscii(',"error":{"type":"fluentbit_record","message":"');
  switch (reason) {
    case R_EMPTY: putAscii("empty record"); break;
    case R_BAD_POINTER: putAscii("record outside the module's memory"); break;
    case R_NOT_JSON: putAscii("record is not a well-formed JSON object (is the filter's Event_Format json?)"); break;
    case R_MISSING_KEY: putAscii("record has no field "); putKeyName(); break;
    case R_NOT_A_STRING: putAscii("field "); putKeyName(); putAscii(" is not a string"); break;
    case R_TOO_LONG: putAscii("field "); putKeyName(); putAscii(" is longer than 65536 bytes"); break;
    case R_NO_COPY: putAscii("record larger than the filter's app heap: raise Wasm_Heap_Size"); break;
    default: putAscii("ipmon_flow must be \\\"tick\\\", \\\"stats\\\", \\\"flush\\\" or a configuration object");
  }
  putAscii('"},"ipmon":{"record_type":"rejected","reason":"');
  switch (reason) {
    case R_EMPTY: putAscii("empty"); break;
    case R_BAD_POINTER: putAscii("bad_pointer"); break;
    case R_NOT_JSON: putAscii("not_json"); break;
    case R_MISSING_KEY: putAscii("missing_key"); break;
    case R_NOT_A_STRING: putAscii("not_a_string"); break;
    case R_TOO_LONG: putAscii("too_long"); break;
    case R_NO_COPY: putAscii("heap_full"); break;
    default: putAscii("bad_control");
  }
  putAscii('","record_bytes":');
  putU64(<u64>n);
  putAscii("}}");
  endRecord();
}

/** The key that was looked for, quoted (inside a JSON string). */
function putKeyName(): void {
  putAscii('\\"');
  if (keyLen > 0) putJsonText(keyBuf, keyLen);
  else putAscii("log\\\" or \\\"message");
  putAscii('\\"');
}

/** An "ipmon.config" record for a configuration that was refused. */
function writeConfigError(message: string, nowUs: i64): void {
  beginRecord();
  putAscii('{"@timestamp":"');
  putIsoTime(nowUs);
  putAscii('","ecs":{"version":"8.17.0"},"event":{"kind":"pipeline_error","module":"ipmon","dataset":"ipmon.config"},"error":{"type":"ipmon_config","message":"');
  const bytes = String.UTF8.encode(message);
  putJsonText(changetype<usize>(bytes), <usize>bytes.byteLength);
  putAscii('"},"ipmon":{"record_type":"config_error"}}');
  endRecord();
}

// ── small helpers ────────────────────────────────────────────────────────────────────────────

// @ts-ignore: decorator
@inline function isDigit(p: usize): bool {
  return <u32>load<u8>(p) - 0x30 <= 9;
}

function twoDigits(p: usize): i32 {
  if (!isDigit(p) || !isDigit(p + 1)) return -100000;
  return <i32>(load<u8>(p) - 0x30) * 10 + <i32>(load<u8>(p + 1) - 0x30);
}
