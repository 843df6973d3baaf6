// Settings, read once from one JSON document with json-as (off the hot path).
//
// Every key is optional; unknown keys and wrong types are errors that name the key, because a
// misspelt timeout silently falling back to its default is worse than refusing to start.

import { JSON } from "json-as";
import { US_PER_SECOND } from "./parse/clock";
import { groupOf, parseCidr } from "./flows/localnets";
import { DEVICE_AUTO, DEVICE_HOST, DEVICE_ROUTER } from "./flows/observers";
import { EXACT_CAP } from "./flows/scans";

/** Idle timeouts and delays in microseconds (defaults as Zeek, flow-semantics.md §1.5). */
export let tcpTimeoutUs: i64 = 300 * US_PER_SECOND;
/** Idle timeout for TCP flows still in the handshake (Zeek starts TCP on the UDP timeout). */
export let tcpHandshakeTimeoutUs: i64 = 60 * US_PER_SECOND;
/** An unanswered SYN is reported this long after its last retransmission (tcp_attempt_delay). */
export let tcpAttemptTimeoutUs: i64 = 5 * US_PER_SECOND;
/** After a close completes, wait this long for trailing packets (tcp_close_delay). */
export let closeGraceUs: i64 = 5 * US_PER_SECOND;
/** UDP idle timeout. */
export let udpTimeoutUs: i64 = 60 * US_PER_SECOND;
/** ICMP idle timeout. */
export let icmpTimeoutUs: i64 = 60 * US_PER_SECOND;
/** Idle timeout for other IP protocols. */
export let otherTimeoutUs: i64 = 60 * US_PER_SECOND;
/**
 * Retransmitted SYNs as Zeek splits them: the attempt ends tcp_attempt_timeout after its first
 * SYN and a later retry starts a new flow (`syn_retry: "zeek"`). Default ("backoff"): retries
 * of an exponential backoff stay in one attempt (engine.ts retryClass).
 */
export let synRetryZeek: bool = false;
/** Long flows are reported every this long (0 = never, like Zeek). */
export let activeTimeoutUs: i64 = 0;
/**
 * Largest flow table: 128 bytes a flow (160 for IPv6), so 2^21 flows take 256-320 MiB of the module's
 * 1 GiB maximum memory (asconfig.json), leaving room for buffers. More would abort on
 * allocation instead of refusing the setting. The flow index keeps slot + 1 in 22 bits
 * (flows/flowtable.ts SLOT_BITS), so 2^21 is also as far as it goes.
 */
// @ts-ignore: decorator
@inline const MAX_CAPACITY: i64 = 2097152;
// thresholds are counted exactly (flows/scans.ts)
// @ts-ignore: decorator
@inline const SCAN_THRESHOLD_MAX: i64 = <i64>EXACT_CAP;
/** A line this far from the engine clock moves it only when the next line agrees (0 = always). */
export let maxClockStepUs: i64 = 3600 * US_PER_SECOND;
/** Flow table capacity. */
export let capacity: u32 = 65536;
/** Year for syslog dates, which carry none; 0 = choose it from referenceTimeUs. */
export let year: i32 = 0;
/** With no year: syslog dates take the latest year that does not put them after this time. */
export let referenceTimeUs: i64 = 0;
/** UTC offset of the ipmon host's local time, in minutes east of UTC. */
export let utcOffsetMinutes: i32 = 0;
/** True when utc_offset was configured (not the default). */
export let utcOffsetSet: bool = false;
/** Community ID seed (uint16). */
export let communityIdSeed: u32 = 0;
/** How lines of one packet are paired (flows/pairing.ts): DEVICE_AUTO, _HOST or _ROUTER. */
export let device: u8 = DEVICE_AUTO;
/**
 * Lines of one packet lie at most this far apart in ipmon's time (an IN and its OUT, an `L`
 * and its decision), and a relay may deliver them this far out of order; 0 = never pair.
 */
export let pairWindowUs: i64 = 250_000;

/** A list of local networks: named groups (localnets.ts G_*) and CIDRs. */
export class NetList {
  groups: u32 = 0;
  /** 16 address bytes (IPv4 v4-mapped) then the prefix length out of 128, per CIDR. */
  cidrs: StaticArray<u8>[] = [];
}

/** Settings of one logging host (`observers`); unset ones take the top-level value. */
export class ObserverSetting {
  name: string = "";
  offsetSet: bool = false;
  offsetMinutes: i32 = 0;
  /** DEVICE_*, or -1 when not set. */
  device: i32 = -1;
  nets: NetList | null = null;
}

/** Top-level local_networks; null: no direction is written. */
export let localNets: NetList | null = null;
/** Per-logging-host settings. */
export let observers: ObserverSetting[] = [];
/** Scan records on (scanner.ts). */
export let scanDetection: bool = true;
/** Distinct ports one source must fail on, on one host, for a port scan (Zeek's scan.zeek: 15). */
export let portScanThreshold: u32 = 15;
/** Distinct hosts one source must fail on, on one port, for an address scan (Zeek: 25). */
export let addressScanThreshold: u32 = 25;
/** The window the thresholds count in, and the quiet time that ends an episode (Zeek: 5 min). */
export let scanIntervalUs: i64 = 300 * US_PER_SECOND;

let error: string = "";

/** Puts every setting back to its default (a host starting over; specs). */
export function resetConfig(): void {
  tcpTimeoutUs = 300 * US_PER_SECOND;
  tcpHandshakeTimeoutUs = 60 * US_PER_SECOND;
  tcpAttemptTimeoutUs = 5 * US_PER_SECOND;
  closeGraceUs = 5 * US_PER_SECOND;
  udpTimeoutUs = icmpTimeoutUs = otherTimeoutUs = 60 * US_PER_SECOND;
  synRetryZeek = false;
  activeTimeoutUs = 0;
  maxClockStepUs = 3600 * US_PER_SECOND;
  capacity = 65536;
  year = 0;
  referenceTimeUs = 0;
  utcOffsetMinutes = 0;
  utcOffsetSet = false;
  communityIdSeed = 0;
  device = DEVICE_AUTO;
  pairWindowUs = 250_000;
  localNets = null;
  observers = [];
  scanDetection = true;
  portScanThreshold = 15;
  addressScanThreshold = 25;
  scanIntervalUs = 300 * US_PER_SECOND;
  error = "";
}

/** The last configuration error, "" if none. */
export function configError(): string {
  return error;
}

/**
 * Applies a JSON configuration, all or nothing: on the first problem it returns false, sets
 * configError() and leaves every setting as it was.
 */
export function applyConfig(text: string): bool {
  const saved = [
    tcpTimeoutUs, tcpHandshakeTimeoutUs, tcpAttemptTimeoutUs, closeGraceUs, udpTimeoutUs, icmpTimeoutUs,
    otherTimeoutUs, activeTimeoutUs, <i64>capacity, <i64>year, <i64>utcOffsetMinutes, <i64>communityIdSeed,
    maxClockStepUs, utcOffsetSet ? 1 : 0, referenceTimeUs, <i64>device, pairWindowUs, synRetryZeek ? 1 : 0,
    scanDetection ? 1 : 0, <i64>portScanThreshold, <i64>addressScanThreshold, scanIntervalUs,
  ];
  const savedNets = localNets;
  const savedObservers = observers;
  if (applyKeys(text)) return true;
  localNets = savedNets;
  observers = savedObservers;
  device = <u8>saved[15];
  pairWindowUs = saved[16];
  synRetryZeek = saved[17] != 0;
  scanDetection = saved[18] != 0;
  portScanThreshold = <u32>saved[19];
  addressScanThreshold = <u32>saved[20];
  scanIntervalUs = saved[21];
  tcpTimeoutUs = saved[0];
  tcpHandshakeTimeoutUs = saved[1];
  tcpAttemptTimeoutUs = saved[2];
  closeGraceUs = saved[3];
  udpTimeoutUs = saved[4];
  icmpTimeoutUs = saved[5];
  otherTimeoutUs = saved[6];
  activeTimeoutUs = saved[7];
  capacity = <u32>saved[8];
  year = <i32>saved[9];
  utcOffsetMinutes = <i32>saved[10];
  communityIdSeed = <u32>saved[11];
  maxClockStepUs = saved[12];
  utcOffsetSet = saved[13] != 0;
  referenceTimeUs = saved[14];
  return false;
}

function applyKeys(text: string): bool {
  error = "";
  const trimmed = text.trim();
  if (trimmed.length == 0) return true;
  if (!looksLikeJsonObject(trimmed)) return fail("configuration must be a JSON object");
  const obj = JSON.parse<JSON.Obj>(trimmed);
  const keys = obj.keys();
  for (let i = 0; i < keys.length; i++) {
    const raw = keys[i];
    const v = obj.get(raw);
    // json-as hands keys back as written; a key spelt with escapes is still that key
    const key = raw.includes("\\") ? JSON.parse<string>('"' + raw + '"') : raw;
    if (v === null) continue;
    if (key == "tcp_timeout") { if (!seconds(key, v, 0.001)) return false; tcpTimeoutUs = lastUs; }
    else if (key == "tcp_handshake_timeout") { if (!seconds(key, v, 0.001)) return false; tcpHandshakeTimeoutUs = lastUs; }
    else if (key == "tcp_attempt_timeout") { if (!seconds(key, v, 0.001)) return false; tcpAttemptTimeoutUs = lastUs; }
    else if (key == "close_grace") { if (!seconds(key, v, 0)) return false; closeGraceUs = lastUs; }
    else if (key == "udp_timeout") { if (!seconds(key, v, 0.001)) return false; udpTimeoutUs = lastUs; }
    else if (key == "icmp_timeout") { if (!seconds(key, v, 0.001)) return false; icmpTimeoutUs = lastUs; }
    else if (key == "other_timeout") { if (!seconds(key, v, 0.001)) return false; otherTimeoutUs = lastUs; }
    else if (key == "active_timeout") { if (!seconds(key, v, 0)) return false; activeTimeoutUs = lastUs; }
    else if (key == "max_clock_step") { if (!seconds(key, v, 0)) return false; maxClockStepUs = lastUs; }
    else if (key == "reference_time") { if (!timestamp(key, v)) return false; referenceTimeUs = lastUs; }
    else if (key == "capacity") { if (!integer(key, v, 16, MAX_CAPACITY)) return false; capacity = <u32>lastInt; }
    else if (key == "year") { if (!integer(key, v, 1970, 9999)) return false; year = <i32>lastInt; }
    else if (key == "utc_offset") { if (!utcOffset(key, v)) return false; utcOffsetMinutes = <i32>lastInt; utcOffsetSet = true; }
    else if (key == "community_id_seed") { if (!integer(key, v, 0, 65535)) return false; communityIdSeed = <u32>lastInt; }
    else if (key == "device") { if (!deviceOf(key, v)) return false; device = <u8>lastInt; }
    else if (key == "pair_window") { if (!seconds(key, v, 0, 60)) return false; pairWindowUs = lastUs; }
    else if (key == "syn_retry") { if (!synRetry(key, v)) return false; }
    else if (key == "local_networks") { const n = netList(key, v); if (n === null) return false; localNets = n; }
    else if (key == "observers") { if (!observerSettings(key, v)) return false; }
    else if (key == "scan_detection") { if (!boolean(key, v)) return false; scanDetection = lastInt != 0; }
    else if (key == "port_scan_threshold") { if (!integer(key, v, 2, SCAN_THRESHOLD_MAX)) return false; portScanThreshold = <u32>lastInt; }
    else if (key == "address_scan_threshold") { if (!integer(key, v, 2, SCAN_THRESHOLD_MAX)) return false; addressScanThreshold = <u32>lastInt; }
    else if (key == "scan_interval") { if (!seconds(key, v, 1, 86400)) return false; scanIntervalUs = lastUs; }
    else return fail("unknown configuration key '" + key + "'");
  }
  return true;
}

let lastUs: i64 = 0;
let lastInt: i64 = 0;

function fail(msg: string): bool {
  error = msg;
  return false;
}

function numberOf(v: JSON.Value): f64 {
  const t = v.type;
  if (t == JSON.Types.F64) return v.get<f64>();
  if (t == JSON.Types.F32) return <f64>v.get<f32>();
  if (t == JSON.Types.I64) return <f64>v.get<i64>();
  if (t == JSON.Types.I32) return <f64>v.get<i32>();
  if (t == JSON.Types.U64) return <f64>v.get<u64>();
  if (t == JSON.Types.U32) return <f64>v.get<u32>();
  return NaN;
}

function seconds(key: string, v: JSON.Value, min: f64, max: f64 = 31536000): bool {
  const n = numberOf(v);
  if (isNaN(n) || n < min || n > max) {
    return fail("configuration key '" + key + "' must be a number of seconds between " + (min == 0 ? "0" : min.toString()) + " and " + (<i64>max).toString());
  }
  lastUs = <i64>Math.round(n * 1e6);
  return true;
}

/** Seconds since the epoch (fractions allowed), up to the end of year 9999. */
function timestamp(key: string, v: JSON.Value): bool {
  const n = numberOf(v);
  if (isNaN(n) || n < 0 || n > 253402300799) {
    return fail("configuration key '" + key + "' must be a time in seconds since 1970-01-01T00:00:00Z");
  }
  lastUs = <i64>Math.round(n * 1e6);
  return true;
}

function boolean(key: string, v: JSON.Value): bool {
  if (v.type != JSON.Types.Bool) return fail("configuration key '" + key + "' must be true or false");
  lastInt = v.get<bool>() ? 1 : 0;
  return true;
}

function integer(key: string, v: JSON.Value, min: i64, max: i64): bool {
  const n = numberOf(v);
  if (isNaN(n) || n != Math.floor(n) || n < <f64>min || n > <f64>max) {
    return fail("configuration key '" + key + "' must be a whole number from " + min.toString() + " to " + max.toString());
  }
  lastInt = <i64>n;
  return true;
}

/** "+02:00", "-0530", "Z" or a number of minutes, into lastInt (minutes east of UTC). */
function utcOffset(key: string, v: JSON.Value): bool {
  if (v.type == JSON.Types.String) {
    const s = v.get<string>();
    if (s == "Z" || s == "UTC") { lastInt = 0; return true; }
    const n = s.length;
    if ((n == 6 || n == 5) && (s.charCodeAt(0) == 0x2b || s.charCodeAt(0) == 0x2d)) {
      const hh = twoDigits(s, 1);
      const mm = twoDigits(s, n == 6 ? 4 : 3);
      if (hh >= 0 && hh <= 18 && mm >= 0 && mm < 60 && (n == 5 || s.charCodeAt(3) == 0x3a)) {
        lastInt = (hh * 60 + mm) * (s.charCodeAt(0) == 0x2d ? -1 : 1);
        return true;
      }
    }
    return fail("configuration key '" + key + "' must look like +02:00, -05:30 or Z, or be a number of minutes");
  }
  return integer(key, v, -1080, 1080);
}

/** "auto", "host" or "router", into lastInt (DEVICE_*). */
function deviceOf(key: string, v: JSON.Value): bool {
  if (v.type == JSON.Types.String) {
    const s = v.get<string>();
    if (s == "auto") { lastInt = DEVICE_AUTO; return true; }
    if (s == "host") { lastInt = DEVICE_HOST; return true; }
    if (s == "router") { lastInt = DEVICE_ROUTER; return true; }
  }
  return fail("configuration key '" + key + "' must be 'auto', 'host' or 'router'");
}

/** "backoff" or "zeek". */
function synRetry(key: string, v: JSON.Value): bool {
  if (v.type == JSON.Types.String) {
    const s = v.get<string>();
    if (s == "backoff") { synRetryZeek = false; return true; }
    if (s == "zeek") { synRetryZeek = true; return true; }
  }
  return fail("configuration key '" + key + "' must be 'backoff' or 'zeek'");
}

/** A list of CIDRs and named groups (Elastic's network direction processor's vocabulary). */
function netList(key: string, v: JSON.Value): NetList | null {
  if (v.type != JSON.Types.Array) {
    fail("configuration key '" + key + "' must be a list of CIDRs and named networks (e.g. 10.0.0.0/8, private)");
    return null;
  }
  const a = v.get<JSON.Arr>();
  const list = new NetList();
  for (let i = 0; i < a.length; i++) {
    const e = a.at(i);
    if (e.type != JSON.Types.String) {
      fail("configuration key '" + key + "' must hold strings (CIDRs or named networks)");
      return null;
    }
    const text = e.get<string>();
    const g = groupOf(text);
    if (g != 0) {
      list.groups |= g;
      continue;
    }
    const bytes = String.UTF8.encode(text);
    const cidr = new StaticArray<u8>(17);
    const bits = parseCidr(changetype<usize>(bytes), bytes.byteLength, changetype<usize>(cidr));
    if (bits < 0) {
      fail("configuration key '" + key + "': '" + text + "' is neither a CIDR nor a named network (loopback, unicast, global_unicast, " +
        "link_local_unicast, interface_local_multicast, link_local_multicast, multicast, unspecified, private, public)");
      return null;
    }
    cidr[16] = <u8>bits;
    list.cidrs.push(cidr);
  }
  return list;
}

/** `observers`: {"host": {"utc_offset": …, "device": …, "local_networks": […]}, …}. */
function observerSettings(key: string, v: JSON.Value): bool {
  if (v.type != JSON.Types.Object) return fail("configuration key '" + key + "' must be an object keyed by logging host");
  const obj = v.get<JSON.Obj>();
  const names = obj.keys();
  const list: ObserverSetting[] = [];
  for (let i = 0; i < names.length; i++) {
    const raw = names[i];
    const name = raw.includes("\\") ? JSON.parse<string>('"' + raw + '"') : raw;
    const where = key + "." + name;
    const sv = obj.get(raw);
    if (sv === null || sv.type != JSON.Types.Object) return fail("configuration key '" + where + "' must be an object");
    if (name.length == 0) return fail("configuration key '" + key + "' has an empty host name");
    const o = new ObserverSetting();
    o.name = name;
    const inner = sv.get<JSON.Obj>();
    const ks = inner.keys();
    for (let j = 0; j < ks.length; j++) {
      const k = ks[j].includes("\\") ? JSON.parse<string>('"' + ks[j] + '"') : ks[j];
      const x = inner.get(ks[j]);
      if (x === null) continue;
      const full = where + "." + k;
      if (k == "utc_offset") {
        if (!utcOffset(full, x)) return false;
        o.offsetSet = true;
        o.offsetMinutes = <i32>lastInt;
      } else if (k == "device") {
        if (!deviceOf(full, x)) return false;
        o.device = <i32>lastInt;
      } else if (k == "local_networks") {
        const n = netList(full, x);
        if (n === null) return false;
        o.nets = n;
      } else {
        return fail("unknown configuration key '" + full + "' (a logging host takes utc_offset, device and local_networks)");
      }
    }
    list.push(o);
  }
  if (list.length > 1024) return fail("configuration key '" + key + "' names more than 1024 logging hosts");
  observers = list;
  return true;
}

function twoDigits(s: string, at: i32): i32 {
  const a = s.charCodeAt(at) - 0x30;
  const b = s.charCodeAt(at + 1) - 0x30;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/**
 * A strict JSON syntax check (RFC 8259) for a top-level object: json-as aborts on malformed
 * input, and a trap is no way to tell a user their config file has a stray comma.
 */
function looksLikeJsonObject(s: string): bool {
  pos = 0;
  src = s;
  skipWs();
  if (pos >= src.length || src.charCodeAt(pos) != 0x7b) return false;
  if (!value(0)) return false;
  skipWs();
  return pos == src.length;
}

let pos: i32 = 0;
let src: string = "";

function skipWs(): void {
  while (pos < src.length) {
    const c = src.charCodeAt(pos);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
    pos++;
  }
}

function value(depth: i32): bool {
  if (depth > 32) return false;
  skipWs();
  if (pos >= src.length) return false;
  const c = src.charCodeAt(pos);
  if (c == 0x7b) {
    pos++;
    skipWs();
    if (pos < src.length && src.charCodeAt(pos) == 0x7d) { pos++; return true; }
    while (true) {
      skipWs();
      if (!str()) return false;
      skipWs();
      if (pos >= src.length || src.charCodeAt(pos) != 0x3a) return false;
      pos++;
      if (!value(depth + 1)) return false;
      skipWs();
      if (pos >= src.length) return false;
      const d = src.charCodeAt(pos++);
      if (d == 0x7d) return true;
      if (d != 0x2c) return false;
    }
  }
  if (c == 0x5b) {
    pos++;
    skipWs();
    if (pos < src.length && src.charCodeAt(pos) == 0x5d) { pos++; return true; }
    while (true) {
      if (!value(depth + 1)) return false;
      skipWs();
      if (pos >= src.length) return false;
      const d = src.charCodeAt(pos++);
      if (d == 0x5d) return true;
      if (d != 0x2c) return false;
    }
  }
  if (c == 0x22) return str();
  if (src.startsWith("true", pos)) { pos += 4; return true; }
  if (src.startsWith("false", pos)) { pos += 5; return true; }
  if (src.startsWith("null", pos)) { pos += 4; return true; }
  return num();
}

function str(): bool {
  if (pos >= src.length || src.charCodeAt(pos) != 0x22) return false;
  pos++;
  while (pos < src.length) {
    const c = src.charCodeAt(pos++);
    if (c == 0x22) return true;
    if (c < 0x20) return false;
    if (c == 0x5c) {
      if (pos >= src.length) return false;
      const e = src.charCodeAt(pos++);
      if (e == 0x75) {
        for (let k = 0; k < 4; k++) {
          if (pos >= src.length) return false;
          const h = src.charCodeAt(pos++);
          if (!((h >= 0x30 && h <= 0x39) || (h >= 0x61 && h <= 0x66) || (h >= 0x41 && h <= 0x46))) return false;
        }
      } else if (e != 0x22 && e != 0x5c && e != 0x2f && e != 0x62 && e != 0x66 && e != 0x6e && e != 0x72 && e != 0x74) {
        return false;
      }
    }
  }
  return false;
}

function num(): bool {
  const start = pos;
  if (pos < src.length && src.charCodeAt(pos) == 0x2d) pos++;
  const intStart = pos;
  while (pos < src.length && isD(src.charCodeAt(pos))) pos++;
  if (pos == intStart) return false;
  if (pos - intStart > 1 && src.charCodeAt(intStart) == 0x30) return false;
  if (pos < src.length && src.charCodeAt(pos) == 0x2e) {
    pos++;
    const f = pos;
    while (pos < src.length && isD(src.charCodeAt(pos))) pos++;
    if (pos == f) return false;
  }
  if (pos < src.length && (src.charCodeAt(pos) | 0x20) == 0x65) {
    pos++;
    if (pos < src.length && (src.charCodeAt(pos) == 0x2b || src.charCodeAt(pos) == 0x2d)) pos++;
    const x = pos;
    while (pos < src.length && isD(src.charCodeAt(pos))) pos++;
    if (pos == x) return false;
  }
  return pos > start;
}

function isD(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}
