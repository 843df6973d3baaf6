import { icmpCounterpart, icmpTypeFromName, icmpCodeFromName } from "../../parse/icmp";

// Spec-only scratch for the UTF-8 bytes under test.
const BUF = memory.data(64);

function put(s: string): i32 {
  return <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, BUF);
}

function type4(s: string): i32 { let n = put(s); return icmpTypeFromName(BUF, n, false); }
function type6(s: string): i32 { let n = put(s); return icmpTypeFromName(BUF, n, true); }
function code4(t: u32, s: string): i32 { let n = put(s); return icmpCodeFromName(t, BUF, n, false); }
function code6(t: u32, s: string): i32 { let n = put(s); return icmpCodeFromName(t, BUF, n, true); }

describe("icmpCounterpart", () => {
  it("pairs the v4 two-way types both ways", () => {
    expect<i32>(icmpCounterpart(8, false)).toBe(0);
    expect<i32>(icmpCounterpart(0, false)).toBe(8);
    expect<i32>(icmpCounterpart(13, false)).toBe(14);
    expect<i32>(icmpCounterpart(14, false)).toBe(13);
    expect<i32>(icmpCounterpart(15, false)).toBe(16);
    expect<i32>(icmpCounterpart(16, false)).toBe(15);
    expect<i32>(icmpCounterpart(10, false)).toBe(9);
    expect<i32>(icmpCounterpart(9, false)).toBe(10);
    expect<i32>(icmpCounterpart(17, false)).toBe(18);
    expect<i32>(icmpCounterpart(18, false)).toBe(17);
  });
  it("pairs the v6 two-way types both ways", () => {
    expect<i32>(icmpCounterpart(128, true)).toBe(129);
    expect<i32>(icmpCounterpart(129, true)).toBe(128);
    expect<i32>(icmpCounterpart(130, true)).toBe(131);
    expect<i32>(icmpCounterpart(131, true)).toBe(130);
    expect<i32>(icmpCounterpart(133, true)).toBe(134);
    expect<i32>(icmpCounterpart(134, true)).toBe(133);
    expect<i32>(icmpCounterpart(135, true)).toBe(136);
    expect<i32>(icmpCounterpart(136, true)).toBe(135);
    expect<i32>(icmpCounterpart(139, true)).toBe(140);
    expect<i32>(icmpCounterpart(140, true)).toBe(139);
    expect<i32>(icmpCounterpart(144, true)).toBe(145);
    expect<i32>(icmpCounterpart(145, true)).toBe(144);
  });
  it("returns -1 for one-way types", () => {
    expect<i32>(icmpCounterpart(3, false)).toBe(-1);
    expect<i32>(icmpCounterpart(5, false)).toBe(-1);
    expect<i32>(icmpCounterpart(11, false)).toBe(-1);
    expect<i32>(icmpCounterpart(1, true)).toBe(-1);
    expect<i32>(icmpCounterpart(3, true)).toBe(-1);
    expect<i32>(icmpCounterpart(146, true)).toBe(-1);
    expect<i32>(icmpCounterpart(132, true)).toBe(-1);
  });
  it("does not mix the families", () => {
    expect<i32>(icmpCounterpart(128, false)).toBe(-1);
    expect<i32>(icmpCounterpart(8, true)).toBe(-1);
    expect<i32>(icmpCounterpart(0, true)).toBe(-1);
  });
});

describe("icmpTypeFromName", () => {
  it("knows every NAME4 type", () => {
    expect<i32>(type4("echoreply")).toBe(0);
    expect<i32>(type4("unreach")).toBe(3);
    expect<i32>(type4("sourcequench")).toBe(4);
    expect<i32>(type4("redirect")).toBe(5);
    expect<i32>(type4("echo")).toBe(8);
    expect<i32>(type4("routeradvert")).toBe(9);
    expect<i32>(type4("routersolicit")).toBe(10);
    expect<i32>(type4("timxceed")).toBe(11);
    expect<i32>(type4("paramprob")).toBe(12);
    expect<i32>(type4("timestamp")).toBe(13);
    expect<i32>(type4("timestampreply")).toBe(14);
    expect<i32>(type4("inforeq")).toBe(15);
    expect<i32>(type4("inforeply")).toBe(16);
    expect<i32>(type4("maskreq")).toBe(17);
    expect<i32>(type4("maskreply")).toBe(18);
  });
  it("knows every NAME6 type", () => {
    expect<i32>(type6("unreach")).toBe(1);
    expect<i32>(type6("toobig")).toBe(2);
    expect<i32>(type6("timxceed")).toBe(3);
    expect<i32>(type6("paramprob")).toBe(4);
    expect<i32>(type6("echo")).toBe(128);
    expect<i32>(type6("echoreply")).toBe(129);
    expect<i32>(type6("groupmemberquery")).toBe(130);
    expect<i32>(type6("groupmemberreport")).toBe(131);
    expect<i32>(type6("groupmemberterm")).toBe(132);
    expect<i32>(type6("routersolicit")).toBe(133);
    expect<i32>(type6("routeradvert")).toBe(134);
    expect<i32>(type6("neighborsolicit")).toBe(135);
    expect<i32>(type6("neighboradvert")).toBe(136);
    expect<i32>(type6("redirect")).toBe(137);
    expect<i32>(type6("routerrenumber")).toBe(138);
    expect<i32>(type6("whoareyourequest")).toBe(139);
    expect<i32>(type6("whoareyoureply")).toBe(140);
    expect<i32>(type6("mtraceresponse")).toBe(200);
    expect<i32>(type6("mtracerequest")).toBe(201);
  });
  it("accepts icmptype(N), icmpv6type(N) and bare numbers", () => {
    expect<i32>(type4("icmptype(6)")).toBe(6);
    expect<i32>(type4("icmptype(255)")).toBe(255);
    expect<i32>(type6("icmpv6type(143)")).toBe(143);
    expect<i32>(type4("42")).toBe(42);
    expect<i32>(type6("0")).toBe(0);
  });
  it("rejects unknown or malformed names", () => {
    expect<i32>(type4("")).toBe(-1);
    expect<i32>(type4("ech")).toBe(-1);
    expect<i32>(type4("echoes")).toBe(-1);
    expect<i32>(type4("ECHO")).toBe(-1);
    expect<i32>(type4("toobig")).toBe(-1);
    expect<i32>(type6("sourcequench")).toBe(-1);
    expect<i32>(type4("icmpv6type(143)")).toBe(-1);
    expect<i32>(type6("icmptype(6)")).toBe(-1);
    expect<i32>(type4("icmptype()")).toBe(-1);
    expect<i32>(type4("icmptype(6")).toBe(-1);
    expect<i32>(type4("icmptype(256)")).toBe(-1);
    expect<i32>(type4("256")).toBe(-1);
    expect<i32>(type4("1234")).toBe(-1);
    expect<i32>(type4("-1")).toBe(-1);
  });
});

describe("icmpCodeFromName", () => {
  it("knows the v4 unreach codes, skipping the shadowed 8 and 10", () => {
    expect<i32>(code4(3, "net")).toBe(0);
    expect<i32>(code4(3, "host")).toBe(1);
    expect<i32>(code4(3, "protocol")).toBe(2);
    expect<i32>(code4(3, "port")).toBe(3);
    expect<i32>(code4(3, "needfrag")).toBe(4);
    expect<i32>(code4(3, "srcfail")).toBe(5);
    expect<i32>(code4(3, "net_unknown")).toBe(6);
    expect<i32>(code4(3, "host_unknown")).toBe(7);
    expect<i32>(code4(3, "net_prohib")).toBe(9);
    expect<i32>(code4(3, "tosnet")).toBe(11);
    expect<i32>(code4(3, "toshost")).toBe(12);
    expect<i32>(code4(3, "admin_prohibit")).toBe(13);
    expect<i32>(code4(3, "8")).toBe(8);
    expect<i32>(code4(3, "10")).toBe(10);
    expect<i32>(code4(3, "isolated")).toBe(-1);
    expect<i32>(code4(3, "host_prohib")).toBe(-1);
  });
  it("knows the other v4 named codes", () => {
    expect<i32>(code4(5, "net")).toBe(0);
    expect<i32>(code4(5, "host")).toBe(1);
    expect<i32>(code4(5, "tosnet")).toBe(2);
    expect<i32>(code4(5, "toshost")).toBe(3);
    expect<i32>(code4(11, "transit")).toBe(0);
    expect<i32>(code4(11, "reassem")).toBe(1);
    expect<i32>(code4(12, "errata_pointer")).toBe(0);
    expect<i32>(code4(12, "optmissing")).toBe(1);
    expect<i32>(code4(12, "length")).toBe(2);
  });
  it("knows the v6 named codes", () => {
    expect<i32>(code6(1, "noroute")).toBe(0);
    expect<i32>(code6(1, "admin")).toBe(1);
    expect<i32>(code6(1, "neighbour")).toBe(2);
    expect<i32>(code6(1, "address")).toBe(3);
    expect<i32>(code6(1, "noport")).toBe(4);
    expect<i32>(code6(3, "intransit")).toBe(0);
    expect<i32>(code6(3, "reassem")).toBe(1);
    expect<i32>(code6(4, "header")).toBe(0);
    expect<i32>(code6(4, "nextheader")).toBe(1);
    expect<i32>(code6(4, "option")).toBe(2);
    expect<i32>(code6(130, "ipv6")).toBe(0);
    expect<i32>(code6(130, "fqdn")).toBe(1);
    expect<i32>(code6(130, "ipv4")).toBe(2);
  });
  it("takes bare numbers for any type", () => {
    expect<i32>(code4(8, "0")).toBe(0);
    expect<i32>(code4(3, "15")).toBe(15);
    expect<i32>(code6(143, "0")).toBe(0);
    expect<i32>(code6(1, "7")).toBe(7);
  });
  it("keeps names to their own type and family", () => {
    expect<i32>(code4(8, "port")).toBe(-1);
    expect<i32>(code4(11, "intransit")).toBe(-1);
    expect<i32>(code6(3, "transit")).toBe(-1);
    expect<i32>(code6(1, "port")).toBe(-1);
    expect<i32>(code4(3, "noport")).toBe(-1);
    expect<i32>(code6(131, "ipv6")).toBe(-1);
    expect<i32>(code4(3, "")).toBe(-1);
    expect<i32>(code4(3, "999")).toBe(-1);
  });
});
