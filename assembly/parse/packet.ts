// Packet lines (ipmon-format.md §4): `[Nx ]IF @G:R [S]A SRC[,P] -> DST[,P] PR proto len HL
// PLEN ...` then the protocol's part (TCP flags, ICMP type/code and quoted packet, fragment)
// and the fixed-order suffix markers (§4.9). Fills the packet fields of `line`.

import { parseIPv4, parseIPv6 } from "./ipaddr";
import { icmpCodeFromName, icmpTypeFromName } from "./icmp";
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, portFromText, protocolFromName } from "./protocols";
import { at, e, eat, eat4, eatByte, isDigit, number, p, tokenEnd } from "./cursor";
import {
  line, LineRecord, unparsed, ACT_BLOCK, ACT_LOG, ACT_NOMATCH, ACT_PASS, ACT_UNKNOWN, DIR_IN, DIR_NONE, DIR_OUT,
  KIND_PACKET, TH_ACK, TH_CWR, TH_ECE, TH_FIN, TH_PUSH, TH_RST, TH_SYN, TH_URG, LINE_DST, LINE_SRC, LINE_QDST, LINE_QSRC,
  WHY_BAD_ACTION, WHY_BAD_BODY, WHY_BAD_COUNT, WHY_BAD_ENDPOINT, WHY_BAD_FLAGS, WHY_BAD_ICMP, WHY_BAD_LEN,
  WHY_BAD_PROTO, WHY_BAD_RULE, WHY_BAD_SUFFIX, WHY_HOST_NAME, WHY_SERVICE_NAME, WHY_UNKNOWN_PROTO,
} from "./record";

// @ts-ignore: decorator
@inline const MAX_PLEN: i64 = 65575;
// @ts-ignore: decorator
@inline const ARROW: u32 = 0x203e2d20; // " -> "
// @ts-ignore: decorator
@inline const PR: u32 = 0x20525020; // " PR "
// @ts-ignore: decorator
@inline const LEN: u32 = 0x6e656c20; // " len" (then a space)

/** Parses the packet line at the cursor (after ipmon's time) into r; returns its kind. */
export function packet(r: LineRecord): u8 {
  r.kind = KIND_PACKET;
  r.count = 1;
  r.dir = DIR_NONE;
  r.fragment = false;
  r.fragHasId = false;
  r.fragMore = false;
  r.quoted = false;
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
      if (!fragment(r)) return unparsed(WHY_BAD_BODY);
    } else if (eat(" frag ")) {
      // IPFilter 3.4: " frag [+][-]DLEN@OFF" (§4.6), no IP id
      const q = tokenEnd();
      legacyFragment(r, q);
      p = q;
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

/**
 * The rest of `(frag ID:LEN@OFF[+][-])` after "(frag " (§4.5 case 5): the IP id, the data
 * length, the byte offset and the MF bit, which place a tail in its datagram (engine.ts).
 * Anything unexpected inside the parentheses keeps the line a fragment without those fields.
 */
function fragment(r: LineRecord): bool {
  r.fragment = true;
  const q = p;
  const id = number();
  let ok = id >= 0 && id <= 0xffffffff && eatByte(0x3a);
  const len = ok ? number() : -1;
  ok = ok && len >= 0 && len <= 0xffff && eatByte(0x40);
  const off = ok ? number() : -1;
  ok = ok && off >= 0 && off <= 0xffff;
  if (ok) {
    r.fragHasId = true;
    r.fragId = <u32>id;
    r.fragLen = <u32>len;
    r.fragOff = <u32>off;
    r.fragMore = eatByte(0x2b);
    eatByte(0x2d);
  }
  if (!ok) p = q;
  while (p < e && at(0) != 0x29) p++;
  return eatByte(0x29);
}

/** IPFilter 3.4's `[+][-]DLEN@OFF` token in [p, q): length, offset and MF, no id. */
function legacyFragment(r: LineRecord, q: usize): void {
  r.fragMore = eatByte(0x2b);
  eatByte(0x2d);
  const len = number();
  if (len < 0 || len > 0xffff || !eatByte(0x40)) return;
  const off = number();
  if (off < 0 || off > 0xffff || p != q) return;
  r.fragLen = <u32>len;
  r.fragOff = <u32>off;
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
  if (!v6 && eat(" for ")) return quotedPacket(r);
  return true;
}

/**
 * The offending packet quoted by an ICMP error (§4.5 case 4):
 * " for SRC[,P] - DST[,P] PR proto len HL LEN|(LEN)[(frag …)][ icmp T/C]".
 * Its addresses, protocol and ports (or, for a quoted ICMP packet, its numeric type/code) go
 * to LINE_QSRC/LINE_QDST and the q* fields, so the engine can note the error on the flow the
 * packet belongs to; a quoted packet it cannot read leaves line.quoted false.
 */
function quotedPacket(r: LineRecord): bool {
  // The outer packet is already parsed: a quoted endpoint that does not read must not make
  // the whole line unusable, so its failure is kept apart from the outer one.
  const outerWhy = endpointWhy;
  const outerPort = endpointPort;
  endpointWhy = 0;
  let ok = endpoint(LINE_QSRC, v6Flags);
  const qs = endpointPort;
  if (!ok || !eat(" - ")) return false;
  ok = endpoint(LINE_QDST, v6Flags + 1);
  const qd = endpointPort;
  if (!ok) return false;
  let readable = endpointWhy == 0 && !load<bool>(v6Flags) && !load<bool>(v6Flags + 1);
  endpointWhy = outerWhy;
  endpointPort = outerPort;
  if (!eat(" PR ")) return false;
  const protoEnd = tokenEnd();
  const proto = protocolFromName(p, <i32>(protoEnd - p));
  p = protoEnd;
  if (!eat(" len ")) return false;
  if (number() < 0 || !eatByte(0x20)) return false;
  let inner = false; // a non-first fragment or another protocol: no ports
  if (eatByte(0x28)) {
    if (number() < 0 || !eatByte(0x29)) return false;
    inner = true;
    if (eat("(frag ")) {
      while (p < e && at(0) != 0x29) p++;
      if (!eatByte(0x29)) return false;
    }
  } else if (number() < 0) {
    return false;
  }
  let qt: i64 = -1;
  let qc: i64 = -1;
  if (eat(" icmp ")) {
    // the quoted ICMP packet's type and code, printed as numbers (§4.5 case 4)
    const q = tokenEnd();
    qt = number();
    if (qt >= 0 && eatByte(0x2f)) qc = number();
    if (p != q) qt = -1;
    p = q;
  }
  if (!readable || proto < 0) return true;
  r.qProto = <u32>proto;
  r.qHasPorts = false;
  if (!inner && (proto == <i32>PROTO_TCP || proto == <i32>PROTO_UDP)) {
    if (qs < 0 || qd < 0) return true;
    r.qHasPorts = true;
    r.qSport = <u32>qs;
    r.qDport = <u32>qd;
  } else if (!inner && proto == <i32>PROTO_ICMP) {
    if (qt < 0 || qt > 255 || qc < 0 || qc > 255) return true;
    r.qHasPorts = true;
    r.qSport = <u32>qt;
    r.qDport = <u32>qc;
  } else if (qs >= 0 || qd >= 0) {
    return true;
  }
  r.quoted = true;
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
