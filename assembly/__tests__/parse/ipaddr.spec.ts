import { parseIPv4, parseIPv6, putIp } from "../../parse/ipaddr";
import { outReset, outPtr, outLen, MODE_NDJSON } from "../../records/output";
import { hex16 } from "../support";

// Spec-only scratch: the UTF-8 text under test and one 16-byte address slot.
const TEXT = memory.data(64);
const ADDR = memory.data(16);

function put(s: string): i32 {
  return <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, TEXT);
}

function v4(s: string): bool {
  memory.fill(ADDR, 0xAA, 16); // must be fully overwritten
  return parseIPv4(TEXT, put(s), ADDR);
}

function v6(s: string): bool {
  memory.fill(ADDR, 0xAA, 16);
  return parseIPv6(TEXT, put(s), ADDR);
}


/** The text putIp writes for the address in ADDR. */
function formatted(isV6: bool): string {
  outReset(MODE_NDJSON);
  putIp(ADDR, isV6);
  return String.UTF8.decodeUnsafe(outPtr(), <usize>outLen());
}

/** Parses then formats (v6 text as IPv6, dotted quads as IPv4). */
function canon(s: string): string {
  const isV6 = s.indexOf(":") >= 0;
  const ok = isV6 ? v6(s) : v4(s);
  if (!ok) return "<invalid>";
  return formatted(isV6);
}

describe("parseIPv4", () => {
  it("stores the IPv4-mapped layout ::ffff:a.b.c.d in network order", () => {
    expect<bool>(v4("10.50.12.32")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("00000000000000000000ffff0a320c20");
    expect<bool>(v4("0.0.0.0")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("00000000000000000000ffff00000000");
    expect<bool>(v4("255.255.255.255")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("00000000000000000000ffffffffffff");
    expect<bool>(v4("1.2.3.4")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("00000000000000000000ffff01020304");
  });
  it("accepts leading zeros (not inet_ntoa style, but harmless)", () => {
    expect<bool>(v4("010.001.000.009")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("00000000000000000000ffff0a010009");
  });
  it("rejects everything that is not exactly four decimal parts of 0-255", () => {
    expect<bool>(v4("1.2.3")).toBe(false);
    expect<bool>(v4("1.2.3.4.5")).toBe(false);
    expect<bool>(v4("256.0.0.1")).toBe(false);
    expect<bool>(v4("1.2.3.256")).toBe(false);
    expect<bool>(v4("1..2.3")).toBe(false);
    expect<bool>(v4("1.2.3.")).toBe(false);
    expect<bool>(v4(".1.2.3")).toBe(false);
    expect<bool>(v4("1.2.3.a")).toBe(false);
    expect<bool>(v4("1.2.3.-4")).toBe(false);
    expect<bool>(v4("0001.2.3.4")).toBe(false);
    expect<bool>(v4("")).toBe(false);
    expect<bool>(v4("2001:db8::1")).toBe(false);
    expect<bool>(v4("100.100.100.1000")).toBe(false);
  });
});

describe("parseIPv6", () => {
  it("parses the all-zero and loopback forms", () => {
    expect<bool>(v6("::")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("00000000000000000000000000000000");
    expect<bool>(v6("::1")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("00000000000000000000000000000001");
    expect<bool>(v6("1::")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("00010000000000000000000000000000");
  });
  it("expands :: in the middle, at the start and at the end", () => {
    expect<bool>(v6("2001:db8:10::77")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("20010db8001000000000000000000077");
    expect<bool>(v6("fe80::214:4fff:fe01:2345")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("fe8000000000000002144ffffe012345");
    expect<bool>(v6("::2:3:4:5:6:7:8")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("00000002000300040005000600070008");
    expect<bool>(v6("1:2:3:4:5:6:7::")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("00010002000300040005000600070000");
  });
  it("parses all eight groups, with upper-case hex and leading zeros", () => {
    expect<bool>(v6("2001:0DB8:0000:0000:0000:FF00:0042:8329")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("20010db8000000000000ff0000428329");
  });
  it("parses a trailing dotted quad (IPv4-mapped and NAT64)", () => {
    expect<bool>(v6("::ffff:10.0.0.1")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("00000000000000000000ffff0a000001");
    expect<bool>(v6("64:ff9b::192.0.2.33")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("0064ff9b0000000000000000c0000221");
    expect<bool>(v6("1:2:3:4:5:6:1.2.3.4")).toBe(true);
    expect<string>(hex16(ADDR)).toBe("00010002000300040005000601020304");
  });
  it("rejects malformed text", () => {
    expect<bool>(v6(":")).toBe(false);
    expect<bool>(v6(":::")).toBe(false);
    expect<bool>(v6("1:::2")).toBe(false);
    expect<bool>(v6("1::2::3")).toBe(false);
    expect<bool>(v6(":1::")).toBe(false);
    expect<bool>(v6("1:")).toBe(false);
    expect<bool>(v6("1:2:3:4:5:6:7:8:")).toBe(false);
    expect<bool>(v6("12345::")).toBe(false);
    expect<bool>(v6("g::1")).toBe(false);
    expect<bool>(v6("1:2:3:4:5:6:7")).toBe(false);
    expect<bool>(v6("1:2:3:4:5:6:7:8:9")).toBe(false);
    expect<bool>(v6("1::2:3:4:5:6:7:8")).toBe(false);
    expect<bool>(v6("1:2:3:4:5:6:7:1.2.3.4")).toBe(false);
    expect<bool>(v6("::ffff:1.2.3")).toBe(false);
    expect<bool>(v6("1.2.3.4")).toBe(false);
    expect<bool>(v6("fe80::1%em0")).toBe(false);
  });
});

describe("putIp", () => {
  it("writes IPv4 as a dotted quad", () => {
    expect<string>(canon("10.50.12.32")).toBe("10.50.12.32");
    expect<string>(canon("0.0.0.0")).toBe("0.0.0.0");
    expect<string>(canon("255.255.255.255")).toBe("255.255.255.255");
    expect<string>(canon("010.001.000.009")).toBe("10.1.0.9");
  });
  it("RFC 5952: lower case, no leading zeros, longest zero run as ::", () => {
    expect<string>(canon("2001:0DB8:0000:0000:0000:FF00:0042:8329")).toBe("2001:db8::ff00:42:8329");
    expect<string>(canon("2001:db8:10::77")).toBe("2001:db8:10::77");
    expect<string>(canon("fe80::214:4fff:fe01:2345")).toBe("fe80::214:4fff:fe01:2345");
    expect<string>(canon("FF02::1:FF00:1")).toBe("ff02::1:ff00:1");
    expect<string>(canon("2001:0:0:1:0:0:0:1")).toBe("2001:0:0:1::1");
  });
  it("RFC 5952: the first of two equal runs is compressed", () => {
    expect<string>(canon("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect<string>(canon("1:0:0:0:1:0:0:0")).toBe("1::1:0:0:0");
  });
  it("RFC 5952: a single zero group is not compressed", () => {
    expect<string>(canon("2001:db8:0:1:1:1:1:1")).toBe("2001:db8:0:1:1:1:1:1");
    expect<string>(canon("1:2:3:4:5:6:7:0")).toBe("1:2:3:4:5:6:7:0");
  });
  it("compresses at the edges", () => {
    expect<string>(canon("::")).toBe("::");
    expect<string>(canon("::1")).toBe("::1");
    expect<string>(canon("1::")).toBe("1::");
    expect<string>(canon("0:0:1:0:0:0:0:0")).toBe("0:0:1::");
    expect<string>(canon("1:2:3:4:5:6::")).toBe("1:2:3:4:5:6::");
  });
  it("writes IPv4-mapped addresses flagged IPv6 as ::ffff:a.b.c.d", () => {
    expect<string>(canon("::ffff:10.0.0.1")).toBe("::ffff:10.0.0.1");
    expect<string>(canon("::ffff:0a00:0001")).toBe("::ffff:10.0.0.1");
  });
  it("writes the same IPv4-mapped bytes flagged IPv4 as the bare quad", () => {
    expect<bool>(v6("::ffff:192.0.2.1")).toBe(true);
    expect<string>(formatted(false)).toBe("192.0.2.1");
  });
  it("writes the maximal address", () => {
    expect<string>(canon("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).toBe("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  });
});
