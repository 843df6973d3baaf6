// Local networks (`local_networks`): which addresses are inside, for ECS network.direction.
//
// The vocabulary is that of Elastic's network direction processor (NetworkDirectionUtils):
// CIDRs (IPv4 and IPv6) and named groups. A flow's direction follows from whether its
// originator (source) and responder (destination) are inside: both internal, source only
// outbound, destination only inbound, neither external.
//
//   sets   ┌──────────────┬─────────────┬─────────────┐ × SET_CAP  set 0: the top-level list,
//          │ first u16    │ count u16   │ groups u32  │            others: a logging host's own
//          └──────────────┴─────────────┴─────────────┘
//   nets   ┌──────────────────────┬───────────┐ × NET_CAP   the CIDRs of every set, set by set
//          │ address (16, v4-mapped) │ bits u8 (of 128)│
//          └──────────────────────┴───────────┘
// Direction is decided when a flow is written, not per line, so a linear scan of a host's few
// CIDRs is cheap.

import { parseIPv4, parseIPv6 } from "../parse/ipaddr";

// named groups (bits of a set's `groups`)
// @ts-ignore: decorator
@inline export const G_LOOPBACK: u32 = 1;
// @ts-ignore: decorator
@inline export const G_UNICAST: u32 = 2; // "unicast" and "global_unicast"
// @ts-ignore: decorator
@inline export const G_LINK_LOCAL_UNICAST: u32 = 4;
// @ts-ignore: decorator
@inline export const G_INTERFACE_LOCAL_MULTICAST: u32 = 8;
// @ts-ignore: decorator
@inline export const G_LINK_LOCAL_MULTICAST: u32 = 16;
// @ts-ignore: decorator
@inline export const G_MULTICAST: u32 = 32;
// @ts-ignore: decorator
@inline export const G_UNSPECIFIED: u32 = 64;
// @ts-ignore: decorator
@inline export const G_PRIVATE: u32 = 128;
// @ts-ignore: decorator
@inline export const G_PUBLIC: u32 = 256;

// directions
// @ts-ignore: decorator
@inline export const DIR_UNKNOWN: u8 = 0;
// @ts-ignore: decorator
@inline export const DIR_INBOUND: u8 = 1;
// @ts-ignore: decorator
@inline export const DIR_OUTBOUND: u8 = 2;
// @ts-ignore: decorator
@inline export const DIR_INTERNAL: u8 = 3;
// @ts-ignore: decorator
@inline export const DIR_EXTERNAL: u8 = 4;

// @ts-ignore: decorator
@inline export const SET_CAP: u32 = 1025;
// @ts-ignore: decorator
@inline export const NET_CAP: u32 = 8192;
// @ts-ignore: decorator
@inline const NET_SIZE: u32 = 17;

const sets: usize = memory.data(<i32>(SET_CAP * 8));
/** The CIDRs, allocated when a configuration first gives some. */
let nets: usize = 0;
let netCount: u32 = 0;

/** The named group for a name of Elastic's processor, or 0 if the name is not one. */
export function groupOf(name: string): u32 {
  if (name == "loopback") return G_LOOPBACK;
  if (name == "unicast" || name == "global_unicast") return G_UNICAST;
  if (name == "link_local_unicast") return G_LINK_LOCAL_UNICAST;
  if (name == "interface_local_multicast") return G_INTERFACE_LOCAL_MULTICAST;
  if (name == "link_local_multicast") return G_LINK_LOCAL_MULTICAST;
  if (name == "multicast") return G_MULTICAST;
  if (name == "unspecified") return G_UNSPECIFIED;
  if (name == "private") return G_PRIVATE;
  if (name == "public") return G_PUBLIC;
  return 0;
}

/**
 * Reads `ADDR` or `ADDR/BITS` (the n bytes at p) into 16 bytes at dst (IPv4 as v4-mapped) and
 * returns the prefix length out of 128, or -1 if it is not an address or prefix.
 */
export function parseCidr(p: usize, n: i32, dst: usize): i32 {
  let slash = 0;
  while (slash < n && load<u8>(p + slash) != 0x2f) slash++;
  let v6 = false;
  if (!parseIPv4(p, slash, dst)) {
    if (!parseIPv6(p, slash, dst)) return -1;
    v6 = true;
  }
  const max = v6 ? 128 : 32;
  let bits = max;
  if (slash < n) {
    if (slash + 1 == n || n - slash - 1 > 3) return -1;
    bits = 0;
    for (let i = slash + 1; i < n; i++) {
      const d = <i32>load<u8>(p + i) - 0x30;
      if (d < 0 || d > 9) return -1;
      bits = bits * 10 + d;
    }
    if (bits > max) return -1;
  }
  return v6 ? bits : bits + 96;
}

/** Empties every set. */
export function netsClear(): void {
  memory.fill(sets, 0, <usize>(SET_CAP * 8));
  netCount = 0;
}

/** Starts set s (sets are filled one after another), with its named groups. */
export function netsBegin(s: u32, groups: u32): void {
  store<u16>(sets + (<usize>s << 3), <u16>netCount);
  store<u16>(sets + (<usize>s << 3), 0, 2);
  store<u32>(sets + (<usize>s << 3), groups | 0x80000000, 4); // top bit: the set is defined
}

/** Adds a CIDR (16 address bytes at a, prefix of 128 bits) to set s, the one begun last. */
export function netsAdd(s: u32, a: usize, bits: i32): bool {
  if (netCount >= NET_CAP) return false;
  if (nets == 0) nets = heap.alloc(<usize>(NET_CAP * NET_SIZE));
  const e = nets + <usize>netCount * NET_SIZE;
  memory.copy(e, a, 16);
  store<u8>(e, <u8>bits, 16);
  netCount++;
  store<u16>(sets + (<usize>s << 3), load<u16>(sets + (<usize>s << 3), 2) + 1, 2);
  return true;
}

/** True if set s was given (an empty list given counts: nothing is local). */
export function netsDefined(s: u32): bool {
  return s < SET_CAP && (load<u32>(sets + (<usize>s << 3), 4) & 0x80000000) != 0;
}

/** network.direction of a flow from its originator and responder addresses, by set s. */
export function directionOf(s: u32, orig: usize, resp: usize): u8 {
  if (!netsDefined(s)) return DIR_UNKNOWN;
  const o = isLocal(s, orig);
  const r = isLocal(s, resp);
  if (o && r) return DIR_INTERNAL;
  if (o) return DIR_OUTBOUND;
  if (r) return DIR_INBOUND;
  return DIR_EXTERNAL;
}

/** The keyword of a direction. */
export function directionName(d: u8): string {
  switch (d) {
    case DIR_INBOUND: return "inbound";
    case DIR_OUTBOUND: return "outbound";
    case DIR_INTERNAL: return "internal";
    case DIR_EXTERNAL: return "external";
  }
  return "unknown";
}

/** True if the 16-byte address at a is in set s. */
export function isLocal(s: u32, a: usize): bool {
  const groups = load<u32>(sets + (<usize>s << 3), 4);
  if ((groups & 0x7fffffff) != 0 && (groupsOf(a) & groups) != 0) return true;
  const first = <u32>load<u16>(sets + (<usize>s << 3));
  const n = <u32>load<u16>(sets + (<usize>s << 3), 2);
  for (let i = first; i < first + n; i++) {
    const e = nets + <usize>i * NET_SIZE;
    if (inPrefix(a, e, <u32>load<u8>(e, 16))) return true;
  }
  return false;
}

function inPrefix(a: usize, net: usize, bits: u32): bool {
  let i: u32 = 0;
  while (bits >= 8) {
    if (load<u8>(a + i) != load<u8>(net + i)) return false;
    i++;
    bits -= 8;
  }
  if (bits == 0) return true;
  const mask = <u8>(<u32>0xff << (8 - bits));
  return (load<u8>(a + i) & mask) == (load<u8>(net + i) & mask);
}

/**
 * Every named group the address belongs to, as Java's InetAddress tests (which Elastic's
 * processor uses) define them: IPv4 addresses are v4-mapped here and tested as IPv4.
 */
export function groupsOf(a: usize): u32 {
  const v4 = load<u64>(a) == 0 && load<u32>(a, 8) == 0xffff0000;
  let g: u32 = 0;
  if (v4) {
    const b0 = <u32>load<u8>(a, 12);
    const b1 = <u32>load<u8>(a, 13);
    const b2 = <u32>load<u8>(a, 14);
    const w = bswap<u32>(load<u32>(a, 12));
    if (b0 == 127) g |= G_LOOPBACK;
    if (b0 == 169 && b1 == 254) g |= G_LINK_LOCAL_UNICAST;
    if ((b0 & 0xf0) == 224) g |= G_MULTICAST;
    if (b0 == 224 && b1 == 0 && b2 == 0) g |= G_LINK_LOCAL_MULTICAST;
    if (w == 0) g |= G_UNSPECIFIED;
    if (b0 == 10 || (b0 == 172 && (b1 & 0xf0) == 16) || (b0 == 192 && b1 == 168)) g |= G_PRIVATE;
    const broadcast = w == 0xffffffff;
    if (!broadcast && (g & (G_UNSPECIFIED | G_LOOPBACK | G_MULTICAST | G_LINK_LOCAL_UNICAST)) == 0) g |= G_UNICAST;
    if (!broadcast && (g & (G_PRIVATE | G_LOOPBACK | G_UNSPECIFIED | G_LINK_LOCAL_UNICAST | G_LINK_LOCAL_MULTICAST)) == 0) g |= G_PUBLIC;
    return g;
  }
  const b0 = <u32>load<u8>(a);
  const b1 = <u32>load<u8>(a, 1);
  const zeroHead = load<u64>(a) == 0 && load<u32>(a, 8) == 0 && load<u16>(a, 12) == 0;
  if (zeroHead && load<u16>(a, 14) == 0x0100) g |= G_LOOPBACK; // ::1
  if (zeroHead && load<u16>(a, 14) == 0) g |= G_UNSPECIFIED; // ::
  if (b0 == 0xfe && (b1 & 0xc0) == 0x80) g |= G_LINK_LOCAL_UNICAST; // fe80::/10
  if (b0 == 0xff) {
    g |= G_MULTICAST;
    if ((b1 & 0x0f) == 1) g |= G_INTERFACE_LOCAL_MULTICAST;
    if ((b1 & 0x0f) == 2) g |= G_LINK_LOCAL_MULTICAST;
  }
  if (b0 == 0xfd) g |= G_PRIVATE; // fd00::/8, as Elastic's processor has it
  if ((g & (G_UNSPECIFIED | G_LOOPBACK | G_MULTICAST | G_LINK_LOCAL_UNICAST)) == 0) g |= G_UNICAST;
  if ((g & (G_PRIVATE | G_LOOPBACK | G_UNSPECIFIED | G_LINK_LOCAL_UNICAST | G_LINK_LOCAL_MULTICAST | G_INTERFACE_LOCAL_MULTICAST)) == 0) g |= G_PUBLIC;
  return g;
}
