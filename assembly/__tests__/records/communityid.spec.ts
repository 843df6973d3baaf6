import { sha1, writeCommunityId, COMMUNITY_ID_LEN } from "../../records/communityid";
import { icmpCounterpart } from "../../parse/icmp";

// Spec-only buffers: two 16-byte address slots, the text output, SHA-1 I/O.
const SRC = memory.data(16);
const DST = memory.data(16);
const OUT = memory.data(32);
const DIGEST = memory.data(20);
const INPUT = memory.data(256);

// Parses an IPv4 or IPv6 literal into the 16-byte slot at dst (IPv4 as
// ::ffff:a.b.c.d) and returns true for IPv6. Spec helper, not production code.
function parseIp(s: string, dst: usize): bool {
  memory.fill(dst, 0, 16);
  if (s.indexOf(":") < 0) {
    let parts = s.split(".");
    store<u8>(dst, 0xFF, 10);
    store<u8>(dst, 0xFF, 11);
    for (let i = 0; i < 4; i++) store<u8>(dst + 12 + <usize>i, U8.parseInt(parts[i], 10));
    return false;
  }
  let dc = s.indexOf("::");
  let head = dc < 0 ? s : s.substring(0, dc);
  let tail = dc < 0 ? "" : s.substring(dc + 2);
  let hg = head.length > 0 ? head.split(":") : new Array<string>(0);
  let tg = tail.length > 0 ? tail.split(":") : new Array<string>(0);
  for (let i = 0; i < hg.length; i++) {
    store<u16>(dst + (<usize>i << 1), bswap<u16>(U16.parseInt(hg[i], 16)));
  }
  let off = 8 - tg.length;
  for (let j = 0; j < tg.length; j++) {
    store<u16>(dst + (<usize>(off + j) << 1), bswap<u16>(U16.parseInt(tg[j], 16)));
  }
  return true;
}

// Only these protocols carry port bytes in the hash input.
function hasPorts(proto: u32): bool {
  return proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58;
}

// Community ID with ports already mapped (baseline JSON rows); oneWay as given.
function cid(seed: u32, proto: u32, src: string, dst: string, sport: u32, dport: u32, oneWay: bool): string {
  let v6 = parseIp(src, SRC);
  parseIp(dst, DST);
  let n = writeCommunityId(OUT, seed, proto, v6, SRC, DST, sport, dport, hasPorts(proto), oneWay);
  return String.UTF8.decodeUnsafe(OUT, n);
}

// Community ID from raw ICMP type/code, mapped the way the flow code will do it
// (README table rows); non-ICMP protocols pass their ports through.
function cidRaw(seed: u32, proto: u32, src: string, dst: string, sport: u32, dport: u32): string {
  if (proto == 1 || proto == 58) {
    let cp = icmpCounterpart(sport, proto == 58);
    if (cp >= 0) return cid(seed, proto, src, dst, sport, <u32>cp, false);
    return cid(seed, proto, src, dst, sport, dport, true);
  }
  return cid(seed, proto, src, dst, sport, dport, false);
}

function hex(p: usize, n: i32): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    let b = load<u8>(p + <usize>i);
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}

function sha1Hex(s: string): string {
  let n = <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, INPUT);
  sha1(INPUT, n, DIGEST);
  return hex(DIGEST, 20);
}

function sha1OfA(n: i32): string {
  memory.fill(INPUT, 0x61, n);
  sha1(INPUT, n, DIGEST);
  return hex(DIGEST, 20);
}

const SIP6 = "fe80:0001:0203:0405:0607:0809:0A0B:0C0D";
const DIP6 = "fe80:1011:1213:1415:1617:1819:1A1B:1C1D";

describe("sha1", () => {
  it("matches the FIPS 180 examples", () => {
    expect<string>(sha1Hex("abc")).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect<string>(sha1Hex("")).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect<string>(sha1Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
      .toBe("84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  });
  it("pads correctly around the block edges", () => {
    expect<string>(sha1OfA(55)).toBe("c1c8bbdc22796e28c0e15163d20899b65621d65a");
    expect<string>(sha1OfA(56)).toBe("c2db330f6083854c99d4b5bfb6e8f29f201be699");
    expect<string>(sha1OfA(63)).toBe("03f09f5b158a7a8cdad920bddc29b81c18a551f5");
    expect<string>(sha1OfA(64)).toBe("0098ba824b5c16427bd7a1122a5a442a25ec644d");
    expect<string>(sha1OfA(119)).toBe("ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56");
    expect<string>(sha1OfA(120)).toBe("f34c1488385346a55709ba056ddd08280dd4c6d6");
  });
});

describe("writeCommunityId: README table, seed 0", () => {
  it("TCP, UDP, SCTP both directions", () => {
    expect<string>(cidRaw(0, 6, "1.2.3.4", "5.6.7.8", 1122, 3344)).toBe("1:wCb3OG7yAFWelaUydu0D+125CLM=");
    expect<string>(cidRaw(0, 6, "5.6.7.8", "1.2.3.4", 3344, 1122)).toBe("1:wCb3OG7yAFWelaUydu0D+125CLM=");
    expect<string>(cidRaw(0, 17, "1.2.3.4", "5.6.7.8", 1122, 3344)).toBe("1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
    expect<string>(cidRaw(0, 17, "5.6.7.8", "1.2.3.4", 3344, 1122)).toBe("1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
    expect<string>(cidRaw(0, 132, "1.2.3.4", "5.6.7.8", 1122, 3344)).toBe("1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=");
  });
  it("ICMP and ICMPv6 from raw type/code", () => {
    expect<string>(cidRaw(0, 1, "1.2.3.4", "5.6.7.8", 8, 0)).toBe("1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
    expect<string>(cidRaw(0, 1, "5.6.7.8", "1.2.3.4", 0, 0)).toBe("1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
    expect<string>(cidRaw(0, 1, "1.2.3.4", "5.6.7.8", 11, 0)).toBe("1:f/YiSyWqczrTgfUCZlBUnvHRcPk=");
    expect<string>(cidRaw(0, 58, SIP6, DIP6, 128, 0)).toBe("1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
    expect<string>(cidRaw(0, 58, DIP6, SIP6, 129, 0)).toBe("1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
    expect<string>(cidRaw(0, 58, SIP6, DIP6, 146, 0)).toBe("1:fYC8+pz24E+EhANP1EZhpX0Dw10=");
  });
  it("RSVP without ports, v4 and v6, both directions", () => {
    expect<string>(cidRaw(0, 46, "1.2.3.4", "5.6.7.8", 0, 0)).toBe("1:ikv3kmf89luf73WPz1jOs49S768=");
    expect<string>(cidRaw(0, 46, "5.6.7.8", "1.2.3.4", 0, 0)).toBe("1:ikv3kmf89luf73WPz1jOs49S768=");
    expect<string>(cidRaw(0, 46, SIP6, DIP6, 0, 0)).toBe("1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=");
    expect<string>(cidRaw(0, 46, DIP6, SIP6, 0, 0)).toBe("1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=");
  });
});

describe("writeCommunityId: README table, seed 1", () => {
  it("TCP, UDP, SCTP both directions", () => {
    expect<string>(cidRaw(1, 6, "1.2.3.4", "5.6.7.8", 1122, 3344)).toBe("1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
    expect<string>(cidRaw(1, 6, "5.6.7.8", "1.2.3.4", 3344, 1122)).toBe("1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
    expect<string>(cidRaw(1, 17, "1.2.3.4", "5.6.7.8", 1122, 3344)).toBe("1:OShq+iKDAMVouh/4bMxB9Sz4amw=");
    expect<string>(cidRaw(1, 17, "5.6.7.8", "1.2.3.4", 3344, 1122)).toBe("1:OShq+iKDAMVouh/4bMxB9Sz4amw=");
    expect<string>(cidRaw(1, 132, "1.2.3.4", "5.6.7.8", 1122, 3344)).toBe("1:uitchpn5MMGAQKBJh7bIr/bAr7s=");
  });
  it("ICMP and ICMPv6 from raw type/code", () => {
    expect<string>(cidRaw(1, 1, "1.2.3.4", "5.6.7.8", 8, 0)).toBe("1:9pr4ZGTICiuZoIh90RRYE2RyXpU=");
    expect<string>(cidRaw(1, 1, "5.6.7.8", "1.2.3.4", 0, 0)).toBe("1:9pr4ZGTICiuZoIh90RRYE2RyXpU=");
    expect<string>(cidRaw(1, 1, "1.2.3.4", "5.6.7.8", 11, 0)).toBe("1:1DD7cWGC/Yg91YGsQeni8du3pIA=");
    expect<string>(cidRaw(1, 58, SIP6, DIP6, 128, 0)).toBe("1:IO27GQzPuCtNnwFvjWALMHu5tJE=");
    expect<string>(cidRaw(1, 58, DIP6, SIP6, 129, 0)).toBe("1:IO27GQzPuCtNnwFvjWALMHu5tJE=");
    expect<string>(cidRaw(1, 58, SIP6, DIP6, 146, 0)).toBe("1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=");
  });
  it("RSVP without ports, v4 and v6, both directions", () => {
    expect<string>(cidRaw(1, 46, "1.2.3.4", "5.6.7.8", 0, 0)).toBe("1:/buhqeOmaRCopOZFy9HnoJd5XW8=");
    expect<string>(cidRaw(1, 46, "5.6.7.8", "1.2.3.4", 0, 0)).toBe("1:/buhqeOmaRCopOZFy9HnoJd5XW8=");
    expect<string>(cidRaw(1, 46, SIP6, DIP6, 0, 0)).toBe("1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=");
    expect<string>(cidRaw(1, 46, DIP6, SIP6, 0, 0)).toBe("1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=");
  });
});

describe("writeCommunityId: baseline_deflt.json rows (ports already mapped)", () => {
  it("TCP, UDP, SCTP", () => {
    expect<string>(cid(0, 6, "128.232.110.120", "66.35.250.204", 34855, 80, false)).toBe("1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    expect<string>(cid(0, 6, "66.35.250.204", "128.232.110.120", 80, 34855, false)).toBe("1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    expect<string>(cid(0, 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, false))
      .toBe("1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
    expect<string>(cid(0, 17, "192.168.1.52", "8.8.8.8", 54585, 53, false)).toBe("1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
    expect<string>(cid(0, 17, "8.8.8.8", "192.168.1.52", 53, 54585, false)).toBe("1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
    expect<string>(cid(0, 132, "192.168.170.8", "192.168.170.56", 7, 7, false)).toBe("1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
  });
  it("ICMP", () => {
    expect<string>(cid(0, 1, "192.168.0.89", "192.168.0.1", 8, 0, false)).toBe("1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    expect<string>(cid(0, 1, "192.168.0.1", "192.168.0.89", 0, 8, false)).toBe("1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    expect<string>(cid(0, 1, "10.0.0.1", "10.0.0.2", 11, 0, true)).toBe("1:YHxtAirCG//0OzkcVAukqKQN9xM=");
  });
  it("ICMPv6", () => {
    expect<string>(cid(0, 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, false))
      .toBe("1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=");
    expect<string>(cid(0, 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, false))
      .toBe("1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
    expect<string>(cid(0, 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, false))
      .toBe("1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
    expect<string>(cid(0, 58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, false))
      .toBe("1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=");
    expect<string>(cid(0, 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, true))
      .toBe("1:2ObVBgIn28oZvibYZhZMBgh7WdQ=");
    expect<string>(cid(0, 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, true))
      .toBe("1:hLZd0XGWojozrvxqE0dWB1iM6R0=");
  });
  it("other protocol, no ports", () => {
    expect<string>(cid(0, 46, "10.1.12.1", "10.1.12.2", 0, 0, false)).toBe("1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");
  });
});

describe("writeCommunityId: edges", () => {
  it("always writes 30 bytes", () => {
    parseIp("1.2.3.4", SRC);
    parseIp("5.6.7.8", DST);
    expect<i32>(writeCommunityId(OUT, 0, 6, false, SRC, DST, 1, 2, true, false)).toBe(30);
    expect<i32>(writeCommunityId(OUT, 65535, 46, false, SRC, DST, 0, 0, false, false)).toBe(COMMUNITY_ID_LEN);
  });
  it("ignores the first 12 bytes of an IPv4 slot", () => {
    parseIp("1.2.3.4", SRC);
    parseIp("5.6.7.8", DST);
    memory.fill(SRC, 0xAB, 12);
    memory.fill(DST, 0x00, 12);
    let n = writeCommunityId(OUT, 0, 6, false, DST, SRC, 3344, 1122, true, false);
    expect<string>(String.UTF8.decodeUnsafe(OUT, n)).toBe("1:wCb3OG7yAFWelaUydu0D+125CLM=");
  });
  it("orders by port when the addresses are equal (Elastic network_traffic sample)", () => {
    expect<string>(cid(0, 6, "::1", "::1", 51320, 8000, false)).toBe("1:5y9AkdbV9U8xqD9dhlj6obkubHg=");
    expect<string>(cid(0, 6, "::1", "::1", 8000, 51320, false)).toBe("1:5y9AkdbV9U8xqD9dhlj6obkubHg=");
  });
  it("matches the Elastic Zeek sample", () => {
    expect<string>(cid(0, 17, "4.4.2.2", "8.8.8.8", 38334, 53, false)).toBe("1:hWC6cnCoeyQehzquxJQU6Y3Wm3g=");
  });
  it("keeps one-way tuples in their given order", () => {
    let fwd = cid(0, 1, "5.6.7.8", "1.2.3.4", 11, 0, true);
    let rev = cid(0, 1, "1.2.3.4", "5.6.7.8", 11, 0, true);
    expect<bool>(fwd == rev).toBe(false);
  });
});
