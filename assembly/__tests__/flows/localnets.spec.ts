// localnets.ts: Elastic's network direction processor's vocabulary and semantics.
import {
  DIR_EXTERNAL, DIR_INBOUND, DIR_INTERNAL, DIR_OUTBOUND, DIR_UNKNOWN, G_INTERFACE_LOCAL_MULTICAST, G_LINK_LOCAL_MULTICAST,
  G_LINK_LOCAL_UNICAST, G_LOOPBACK, G_MULTICAST, G_PRIVATE, G_PUBLIC, G_UNICAST, G_UNSPECIFIED, directionOf, groupOf, groupsOf,
  netsAdd, netsBegin, netsClear, parseCidr,
} from "../../flows/localnets";

const A = memory.data(16);
const B = memory.data(16);
const NET = memory.data(16);

/** Reads an address (or CIDR) into dst; returns the prefix length of 128, -1 if not one. */
function addr(s: string, dst: usize): i32 {
  const b = String.UTF8.encode(s);
  return parseCidr(changetype<usize>(b), b.byteLength, dst);
}

function groups(s: string): u32 {
  addr(s, A);
  return groupsOf(A);
}

describe("named groups (NetworkDirectionUtils)", () => {
  it("knows every name the processor accepts, global_unicast as unicast", () => {
    expect<u32>(groupOf("loopback")).toBe(G_LOOPBACK);
    expect<u32>(groupOf("global_unicast")).toBe(G_UNICAST);
    expect<u32>(groupOf("unicast")).toBe(G_UNICAST);
    expect<u32>(groupOf("link_local_unicast")).toBe(G_LINK_LOCAL_UNICAST);
    expect<u32>(groupOf("interface_local_multicast")).toBe(G_INTERFACE_LOCAL_MULTICAST);
    expect<u32>(groupOf("link_local_multicast")).toBe(G_LINK_LOCAL_MULTICAST);
    expect<u32>(groupOf("multicast")).toBe(G_MULTICAST);
    expect<u32>(groupOf("unspecified")).toBe(G_UNSPECIFIED);
    expect<u32>(groupOf("private")).toBe(G_PRIVATE);
    expect<u32>(groupOf("public")).toBe(G_PUBLIC);
    expect<u32>(groupOf("Private")).toBe(0);
    expect<u32>(groupOf("lan")).toBe(0);
  });
  it("IPv4: private is 10/8, 172.16/12, 192.168/16; public is neither private nor local", () => {
    expect<u32>(groups("10.1.2.3")).toBe(G_PRIVATE | G_UNICAST);
    expect<u32>(groups("172.31.255.255")).toBe(G_PRIVATE | G_UNICAST);
    expect<u32>(groups("172.32.0.1")).toBe(G_PUBLIC | G_UNICAST);
    expect<u32>(groups("192.168.0.1")).toBe(G_PRIVATE | G_UNICAST);
    expect<u32>(groups("198.51.100.7")).toBe(G_PUBLIC | G_UNICAST);
    expect<u32>(groups("127.0.0.1")).toBe(G_LOOPBACK);
    expect<u32>(groups("169.254.1.1")).toBe(G_LINK_LOCAL_UNICAST);
    expect<u32>(groups("0.0.0.0")).toBe(G_UNSPECIFIED);
    expect<u32>(groups("255.255.255.255")).toBe(0);
    expect<u32>(groups("224.0.0.251")).toBe(G_MULTICAST | G_LINK_LOCAL_MULTICAST);
    // Elastic counts multicast outside 224.0.0/24 as public
    expect<u32>(groups("239.1.1.1")).toBe(G_MULTICAST | G_PUBLIC);
  });
  it("IPv6: fd00::/8 is private, ff01:: interface-local, ff02:: link-local multicast", () => {
    expect<u32>(groups("fd12::1")).toBe(G_PRIVATE | G_UNICAST);
    expect<u32>(groups("fc00::1")).toBe(G_PUBLIC | G_UNICAST); // not in Elastic's private list
    expect<u32>(groups("2001:db8::1")).toBe(G_PUBLIC | G_UNICAST);
    expect<u32>(groups("::1")).toBe(G_LOOPBACK);
    expect<u32>(groups("::")).toBe(G_UNSPECIFIED);
    expect<u32>(groups("fe80::1")).toBe(G_LINK_LOCAL_UNICAST);
    expect<u32>(groups("ff02::1")).toBe(G_MULTICAST | G_LINK_LOCAL_MULTICAST);
    expect<u32>(groups("ff01::1")).toBe(G_MULTICAST | G_INTERFACE_LOCAL_MULTICAST);
    expect<u32>(groups("ff05::2")).toBe(G_MULTICAST | G_PUBLIC);
  });
});

describe("parseCidr", () => {
  it("addresses and prefixes, IPv4 as v4-mapped (prefix + 96)", () => {
    expect<i32>(addr("10.0.0.0/8", NET)).toBe(104);
    expect<i32>(addr("10.0.0.1", NET)).toBe(128);
    expect<i32>(addr("2001:db8::/32", NET)).toBe(32);
    expect<i32>(addr("0.0.0.0/0", NET)).toBe(96);
    expect<i32>(addr("10.0.0.0/33", NET)).toBe(-1);
    expect<i32>(addr("10.0.0.0/", NET)).toBe(-1);
    expect<i32>(addr("10.0.0.0/8x", NET)).toBe(-1);
    expect<i32>(addr("2001:db8::/129", NET)).toBe(-1);
    expect<i32>(addr("lan", NET)).toBe(-1);
  });
});

describe("directionOf", () => {
  it("inbound, outbound, internal, external by whether the originator and responder are local", () => {
    netsClear();
    netsBegin(0, G_LOOPBACK);
    netsAdd(0, NET, addr("10.0.0.0/8", NET));
    netsAdd(0, NET, addr("2001:db8:1::/48", NET));
    addr("10.1.1.1", A);
    addr("198.51.100.1", B);
    expect<u8>(directionOf(0, A, B)).toBe(DIR_OUTBOUND);
    expect<u8>(directionOf(0, B, A)).toBe(DIR_INBOUND);
    expect<u8>(directionOf(0, A, A)).toBe(DIR_INTERNAL);
    expect<u8>(directionOf(0, B, B)).toBe(DIR_EXTERNAL);
    addr("127.0.0.1", B);
    expect<u8>(directionOf(0, B, A)).toBe(DIR_INTERNAL);
    addr("2001:db8:1:ff::9", A);
    addr("2001:db8:2::9", B);
    expect<u8>(directionOf(0, A, B)).toBe(DIR_OUTBOUND);
  });
  it("a set never given: no direction; an empty list given: nothing is local", () => {
    netsClear();
    addr("10.1.1.1", A);
    addr("198.51.100.1", B);
    expect<u8>(directionOf(0, A, B)).toBe(DIR_UNKNOWN);
    netsBegin(3, 0);
    expect<u8>(directionOf(3, A, B)).toBe(DIR_EXTERNAL);
    expect<u8>(directionOf(4, A, B)).toBe(DIR_UNKNOWN);
  });
});
