// ICMP helpers: Community ID port equivalents and the ipmon name tables.
//
// Names follow ipmon's `icmptypes4` / `icmptypes6` tables exactly (see
// ipmon-format.md §4.8), because those are the only spellings a log can hold.
// Everything works on UTF-8 bytes in linear memory and allocates nothing: the
// names are compared against static string literals, which live in the data
// segment.

/** Returns the counterpart of a two-way ICMP type (echo 8 -> 0 …), or -1 when the type is one-way. */
export function icmpCounterpart(type: u32, isV6: bool): i32 {
  // Pairs from pycommunityid icmp.py / icmp6.py (they mirror Zeek's ICMP.cc).
  if (isV6) {
    switch (type) {
      case 128: return 129; case 129: return 128; // echo request/reply
      case 130: return 131; case 131: return 130; // MLD query/report
      case 133: return 134; case 134: return 133; // router solicit/advert
      case 135: return 136; case 136: return 135; // neighbor solicit/advert
      case 139: return 140; case 140: return 139; // node information query/reply
      case 144: return 145; case 145: return 144; // HAAD request/reply
    }
    return -1;
  }
  switch (type) {
    case 8: return 0; case 0: return 8;           // echo/reply
    case 13: return 14; case 14: return 13;       // timestamp/reply
    case 15: return 16; case 16: return 15;       // info request/reply
    case 10: return 9; case 9: return 10;         // router solicit/advert
    case 17: return 18; case 18: return 17;       // mask request/reply
  }
  return -1;
}

/** Returns the ICMP type for an ipmon type name, `icmptype(N)`/`icmpv6type(N)` or a decimal, or -1 if unknown. */
export function icmpTypeFromName(ptr: usize, len: i32, isV6: bool): i32 {
  let n = parseDec(ptr, len);
  if (n >= 0) return n;
  // ipmon prints unnamed types as `icmptype(N)` (v4) or `icmpv6type(N)` (v6).
  let prefix = isV6 ? "icmpv6type(" : "icmptype(";
  let plen = prefix.length;
  if (len > plen + 1 && startsWith(ptr, len, prefix) && load<u8>(ptr + <usize>len - 1) == 0x29 /* ) */) {
    return parseDec(ptr + <usize>plen, len - plen - 1);
  }
  return isV6 ? typeName6(ptr, len) : typeName4(ptr, len);
}

/** Returns the ICMP code for the name ipmon prints after `type/`, or a decimal, or -1 if unknown. */
export function icmpCodeFromName(type: u32, ptr: usize, len: i32, isV6: bool): i32 {
  let n = parseDec(ptr, len);
  if (n >= 0) return n;
  return isV6 ? codeName6(type, ptr, len) : codeName4(type, ptr, len);
}

// NAME4 types ([IL] icmptypes, [51] icmptypes4).
function typeName4(p: usize, n: i32): i32 {
  if (eq(p, n, "echoreply")) return 0;
  if (eq(p, n, "unreach")) return 3;
  if (eq(p, n, "sourcequench")) return 4;
  if (eq(p, n, "redirect")) return 5;
  if (eq(p, n, "echo")) return 8;
  if (eq(p, n, "routeradvert")) return 9;
  if (eq(p, n, "routersolicit")) return 10;
  if (eq(p, n, "timxceed")) return 11;
  if (eq(p, n, "paramprob")) return 12;
  if (eq(p, n, "timestamp")) return 13;
  if (eq(p, n, "timestampreply")) return 14;
  if (eq(p, n, "inforeq")) return 15;
  if (eq(p, n, "inforeply")) return 16;
  if (eq(p, n, "maskreq")) return 17;
  if (eq(p, n, "maskreply")) return 18;
  return -1;
}

// NAME6 types; ipmon's first table match wins, so the fqdn/nodeinfo aliases
// of 139/140 never appear and are not accepted.
function typeName6(p: usize, n: i32): i32 {
  if (eq(p, n, "unreach")) return 1;
  if (eq(p, n, "toobig")) return 2;
  if (eq(p, n, "timxceed")) return 3;
  if (eq(p, n, "paramprob")) return 4;
  if (eq(p, n, "echo")) return 128;
  if (eq(p, n, "echoreply")) return 129;
  if (eq(p, n, "groupmemberquery")) return 130;
  if (eq(p, n, "groupmemberreport")) return 131;
  if (eq(p, n, "groupmemberterm")) return 132;
  if (eq(p, n, "routersolicit")) return 133;
  if (eq(p, n, "routeradvert")) return 134;
  if (eq(p, n, "neighborsolicit")) return 135;
  if (eq(p, n, "neighboradvert")) return 136;
  if (eq(p, n, "redirect")) return 137;
  if (eq(p, n, "routerrenumber")) return 138;
  if (eq(p, n, "whoareyourequest")) return 139;
  if (eq(p, n, "whoareyoureply")) return 140;
  if (eq(p, n, "mtraceresponse")) return 200;
  if (eq(p, n, "mtracerequest")) return 201;
  return -1;
}

// v4 code names. ipmon's unreach table has `isolated` and `host_prohib` with
// wrong constants, so codes 8 and 10 print as numbers and those two names
// never occur in a log; they are deliberately not accepted.
function codeName4(type: u32, p: usize, n: i32): i32 {
  switch (type) {
    case 3: {
      if (eq(p, n, "net")) return 0;
      if (eq(p, n, "host")) return 1;
      if (eq(p, n, "protocol")) return 2;
      if (eq(p, n, "port")) return 3;
      if (eq(p, n, "needfrag")) return 4;
      if (eq(p, n, "srcfail")) return 5;
      if (eq(p, n, "net_unknown")) return 6;
      if (eq(p, n, "host_unknown")) return 7;
      if (eq(p, n, "net_prohib")) return 9;
      if (eq(p, n, "tosnet")) return 11;
      if (eq(p, n, "toshost")) return 12;
      if (eq(p, n, "admin_prohibit")) return 13;
      break;
    }
    case 5: {
      if (eq(p, n, "net")) return 0;
      if (eq(p, n, "host")) return 1;
      if (eq(p, n, "tosnet")) return 2;
      if (eq(p, n, "toshost")) return 3;
      break;
    }
    case 11: {
      if (eq(p, n, "transit")) return 0;
      if (eq(p, n, "reassem")) return 1;
      break;
    }
    case 12: {
      if (eq(p, n, "errata_pointer")) return 0;
      if (eq(p, n, "optmissing")) return 1;
      if (eq(p, n, "length")) return 2;
      break;
    }
  }
  return -1;
}

// v6 code names; every other type prints its code as a number.
function codeName6(type: u32, p: usize, n: i32): i32 {
  switch (type) {
    case 1: {
      if (eq(p, n, "noroute")) return 0;
      if (eq(p, n, "admin")) return 1;
      if (eq(p, n, "neighbour")) return 2;
      if (eq(p, n, "address")) return 3;
      if (eq(p, n, "noport")) return 4;
      break;
    }
    case 3: {
      if (eq(p, n, "intransit")) return 0;
      if (eq(p, n, "reassem")) return 1;
      break;
    }
    case 4: {
      if (eq(p, n, "header")) return 0;
      if (eq(p, n, "nextheader")) return 1;
      if (eq(p, n, "option")) return 2;
      break;
    }
    case 130: {
      if (eq(p, n, "ipv6")) return 0;
      if (eq(p, n, "fqdn")) return 1;
      if (eq(p, n, "ipv4")) return 2;
      break;
    }
  }
  return -1;
}

// Parses 1-3 ASCII digits worth at most 255 (types and codes are one byte);
// anything else is -1 so callers can fall through to the name tables.
function parseDec(p: usize, n: i32): i32 {
  if (n < 1 || n > 3) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    let d = <i32>load<u8>(p + <usize>i) - 0x30;
    if (<u32>d > 9) return -1;
    v = v * 10 + d;
  }
  return v <= 255 ? v : -1;
}

// True if the n UTF-8 bytes at p equal the ASCII literal `lit`. The literal is
// UTF-16 in the data segment, so it is read code unit by code unit.
function eq(p: usize, n: i32, lit: string): bool {
  return n == lit.length && startsWith(p, n, lit);
}

// True if the n bytes at p begin with the ASCII literal `lit`.
function startsWith(p: usize, n: i32, lit: string): bool {
  let m = lit.length;
  if (n < m) return false;
  let q = changetype<usize>(lit);
  for (let i = 0; i < m; i++) {
    if (<u32>load<u8>(p + <usize>i) != <u32>load<u16>(q + (<usize>i << 1))) return false;
  }
  return true;
}

/** ipmon's name of an ICMPv4 type (`icmptypes4`), or "" when ipmon prints `icmptype(N)`. */
export function icmpTypeName(type: u32): string {
  switch (type) {
    case 0: return "echoreply";
    case 3: return "unreach";
    case 4: return "sourcequench";
    case 5: return "redirect";
    case 8: return "echo";
    case 9: return "routeradvert";
    case 10: return "routersolicit";
    case 11: return "timxceed";
    case 12: return "paramprob";
    case 13: return "timestamp";
    case 14: return "timestampreply";
    case 15: return "inforeq";
    case 16: return "inforeply";
    case 17: return "maskreq";
    case 18: return "maskreply";
  }
  return "";
}

/** ipmon's name of an ICMPv4 code of an error type, or "" when ipmon prints the number. */
export function icmpCodeName(type: u32, code: u32): string {
  if (type == 3) {
    switch (code) {
      case 0: return "net";
      case 1: return "host";
      case 2: return "protocol";
      case 3: return "port";
      case 4: return "needfrag";
      case 5: return "srcfail";
      case 6: return "net_unknown";
      case 7: return "host_unknown";
      case 9: return "net_prohib";
      case 11: return "tosnet";
      case 12: return "toshost";
      case 13: return "admin_prohibit";
    }
  } else if (type == 5) {
    switch (code) {
      case 0: return "net";
      case 1: return "host";
      case 2: return "tosnet";
      case 3: return "toshost";
    }
  } else if (type == 11) {
    if (code == 0) return "transit";
    if (code == 1) return "reassem";
  } else if (type == 12) {
    if (code == 0) return "errata_pointer";
    if (code == 1) return "optmissing";
    if (code == 2) return "length";
  }
  return "";
}
