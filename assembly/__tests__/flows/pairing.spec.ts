// pairing.ts, through the engine: the lines of one packet count once.
import { counters, flushAll } from "../../engine";
import { RING } from "../../flows/pairing";
import { feed, init, take } from "../support";

// 2024-03-03 10:00:00 local (= UTC: no offset configured), µs offsets from there
function at(us: i64): string {
  const s = 10 * 3600 + <i32>(us / 1000000);
  const frac = (us % 1000000).toString();
  let f = frac;
  while (f.length < 6) f = "0" + f;
  return pad2(s / 3600) + ":" + pad2((s / 60) % 60) + ":" + pad2(s % 60) + "." + f;
}
function pad2(n: i32): string {
  return n < 10 ? "0" + n.toString() : n.toString();
}

/** A syslog line of host `host` at `us`: "IF @RULE ACT BODY DIR". */
function ln(host: string, us: i64, ifc: string, rule: string, act: string, body: string, dir: string): string {
  return "Mar  3 10:00:00 " + host + " ipmon[1]: " + at(us) + " " + ifc + " @" + rule + " " + act + " " + body + " " + dir;
}

const SYN = "10.0.0.5,49152 -> 198.51.100.20,443 PR tcp len 20 60 -S";
const SYNACK = "198.51.100.20,443 -> 10.0.0.5,49152 PR tcp len 20 60 -AS";
const ACK = "10.0.0.5,49152 -> 198.51.100.20,443 PR tcp len 20 52 -A";
const PING = "10.0.0.7 -> 198.51.100.1 PR icmp len 20 84 icmp echo/0";

/** A SYN of client port 20000 + i from 10.0.(i >> 8).(i & 255). */
function pkt(i: i32): string {
  return "10.0." + (i >> 8).toString() + "." + (i & 255).toString() + "," + (20000 + i).toString() + " -> 198.51.100.1,443 PR tcp len 20 60 -S";
}

function flows(out: string): string[] {
  const all = out.split("\n");
  const r: string[] = [];
  for (let i = 0; i < all.length; i++) if (all[i].includes('"record_type":"flow"')) r.push(all[i]);
  return r;
}

function has(rec: string, s: string): bool {
  return rec.includes(s);
}

/** Every line is counted, folded, forwarded or blank (the stats record's invariant). */
function conserved(): bool {
  const c = counters;
  const folded = c.foldedOutLines + c.foldedLogLines + c.foldedDecisionLines;
  return c.linesRead == c.blankLines + c.flowLines + folded + c.uncorrelatedLines + c.otherLines + c.unparsedLines &&
    c.packetLines == c.flowLines + folded + c.uncorrelatedLines;
}

describe("router: a forwarded packet's IN and OUT lines", () => {
  it("count once; the OUT line names the egress interface", () => {
    init('{"device":"router"}');
    feed(ln("gw", 0, "em0", "0:12", "p", SYN, "K-S IN"));
    feed(ln("gw", 12, "em1", "0:12", "p", SYN, "K-S OUT"));
    flushAll();
    const f = flows(take());
    expect<i32>(f.length).toBe(1);
    expect<bool>(has(f[0], '"source":{"ip":"10.0.0.5","port":49152,"packets":1,"bytes":60}')).toBe(true);
    expect<bool>(has(f[0], '"ingress":{"interface":{"name":"em0"}}')).toBe(true);
    expect<bool>(has(f[0], '"egress":{"interface":{"name":"em1"}}')).toBe(true);
    expect<bool>(has(f[0], '"lines":1')).toBe(true);
    expect<u64>(counters.foldedOutLines).toBe(1);
    expect<u64>(counters.flowLines).toBe(1);
    expect<bool>(conserved()).toBe(true);
  });
  it("interleaved identical packets pair first in, first out (IN a, IN b, IN c, OUT a, OUT b, OUT c)", () => {
    init('{"device":"router"}');
    feed(ln("gw", 0, "em0", "0:12", "p", ACK, "K-S IN"));
    feed(ln("gw", 100, "em0", "0:12", "p", ACK, "K-S IN"));
    feed(ln("gw", 200, "em0", "0:12", "p", ACK, "K-S IN"));
    feed(ln("gw", 10, "em1", "0:12", "p", ACK, "K-S OUT"));
    feed(ln("gw", 110, "em1", "0:12", "p", ACK, "K-S OUT"));
    feed(ln("gw", 210, "em1", "0:12", "p", ACK, "K-S OUT"));
    flushAll();
    const f = flows(take());
    expect<i32>(f.length).toBe(1);
    expect<bool>(has(f[0], '"packets":3,"bytes":156')).toBe(true);
    expect<u64>(counters.foldedOutLines).toBe(3);
  });
  it("an OUT line a relay delivered before its IN line pairs all the same (order-tolerant)", () => {
    init('{"device":"router"}');
    feed(ln("gw", 12, "em1", "0:12", "p", SYN, "K-S OUT"));
    feed(ln("gw", 0, "em0", "0:12", "p", SYN, "K-S IN"));
    flushAll();
    const f = flows(take());
    expect<i32>(f.length).toBe(1);
    expect<bool>(has(f[0], '"packets":1,"bytes":60')).toBe(true);
    // the packet is counted from the line that came first; both interfaces are known
    expect<bool>(has(f[0], '"start":"2024-03-03T10:00:00.000012Z"')).toBe(true);
    expect<bool>(has(f[0], '"ingress":{"interface":{"name":"em0"}}')).toBe(true);
    expect<bool>(has(f[0], '"egress":{"interface":{"name":"em1"}}')).toBe(true);
  });
  it("a block at egress blocks the flow; the firewall's own OUT-only packet is counted", () => {
    init('{"device":"router"}');
    feed(ln("gw", 0, "em0", "0:12", "p", SYN, "K-S IN"));
    feed(ln("gw", 12, "em1", "0:40", "b", SYN, "OUT"));
    feed(ln("gw", 500, "em1", "0:50", "p", "203.0.113.1,53000 -> 198.51.100.53,53 PR udp len 20 60", "K-S OUT"));
    flushAll();
    const f = flows(take());
    expect<i32>(f.length).toBe(2);
    expect<bool>(has(f[0], '"action":"block"')).toBe(true);
    expect<bool>(has(f[0], '"packets":1,"bytes":60')).toBe(true);
    expect<bool>(has(f[1], '"packets":1,"bytes":60')).toBe(true);
    expect<u64>(counters.flowLines).toBe(2);
  });
  it("hairpins (in and out the same interface) pair on a router, never on a host", () => {
    const hairpin = "10.0.0.5,50000 -> 10.0.0.9,22 PR tcp len 20 60 -S";
    init('{"device":"router"}');
    feed(ln("gw", 0, "em0", "0:1", "p", hairpin, "K-S IN"));
    feed(ln("gw", 9, "em0", "0:1", "p", hairpin, "K-S OUT"));
    expect<u64>(counters.flowLines).toBe(1);
    init('{"device":"host"}');
    feed(ln("gw", 0, "em0", "0:1", "p", hairpin, "K-S IN"));
    feed(ln("gw", 9, "em0", "0:1", "p", hairpin, "K-S OUT"));
    expect<u64>(counters.flowLines).toBe(2);
    expect<u64>(counters.foldedOutLines).toBe(0);
  });
  it("lines further apart than pair_window, or of another length or repeat count, are other packets", () => {
    init('{"device":"router","pair_window":0.001}');
    feed(ln("gw", 0, "em0", "0:12", "p", SYN, "K-S IN"));
    feed(ln("gw", 2000, "em1", "0:12", "p", SYN, "K-S OUT"));
    expect<u64>(counters.flowLines).toBe(2);
    init('{"device":"router"}');
    feed(ln("gw", 0, "em0", "0:12", "p", ACK, "K-S IN"));
    feed(ln("gw", 5, "em1", "0:12", "p", "10.0.0.5,49152 -> 198.51.100.20,443 PR tcp len 20 53 -A", "K-S OUT"));
    feed("Mar  3 10:00:00 gw ipmon[1]: " + at(9) + " 2x em1 @0:12 p " + ACK + " K-S OUT");
    expect<u64>(counters.flowLines).toBe(3);
    init('{"device":"router","pair_window":0}');
    feed(ln("gw", 0, "em0", "0:12", "p", SYN, "K-S IN"));
    feed(ln("gw", 12, "em1", "0:12", "p", SYN, "K-S OUT"));
    expect<u64>(counters.flowLines).toBe(2);
  });
  it("a packet waits for its OUT line however far ahead another host's clock is (no cross-host pruning)", () => {
    init('{"device":"router"}');
    const n = 2000; // enough lines of fw-a to meet every bucket fw-b's packets are in
    for (let i = 0; i < n; i++) feed(ln("fw-b", 100000 + i, "em0", "0:1", "p", pkt(i), "IN"));
    for (let i = 0; i < n; i++) {
      // fw-a's own packets, its clock six hours ahead of fw-b's (no utc_offset given)
      feed("Mar  3 16:00:00 fw-a ipmon[1]: 16:00:00." + (100000 + i).toString() + " em1 @0:1 p 192.0.2.1," +
        (20000 + i).toString() + " -> 203.0.113.9,53 PR udp len 20 60 OUT");
    }
    for (let i = 0; i < n; i++) feed(ln("fw-b", 100010 + i, "em1", "0:1", "p", pkt(i), "OUT"));
    expect<u64>(counters.packetsIn).toBe(2 * n);
    expect<u64>(counters.foldedOutLines).toBe(n);
    expect<bool>(conserved()).toBe(true);
  });
  it("are bounded: a packet more than RING lines back can no longer be paired", () => {
    init('{"device":"router","pair_window":60}');
    feed(ln("gw", 0, "em0", "0:12", "p", SYN, "K-S IN"));
    for (let i: u32 = 0; i < RING; i++) {
      feed(ln("gw", 1 + <i64>i, "em0", "0:1", "p", "10.0.1.1," + (1024 + (i & 0x7fff)).toString() + " -> 10.0.2.2,53 PR udp len 20 60", "IN"));
    }
    feed(ln("gw", 40000, "em1", "0:12", "p", SYN, "K-S OUT"));
    expect<u64>(counters.flowLines).toBe(<u64>RING + 2);
    expect<bool>(conserved()).toBe(true);
  });
});

describe("device auto", () => {
  it("judges a host that logs one packet IN on one interface and OUT on another a router, once", () => {
    init();
    feed(ln("gw", 0, "em0", "0:12", "p", SYN, "K-S IN"));
    feed(ln("gw", 12, "em1", "0:12", "p", SYN, "K-S OUT"));
    feed(ln("gw", 20000, "em1", "0:12", "p", SYNACK, "K-S IN"));
    feed(ln("gw", 20008, "em0", "0:12", "p", SYNACK, "K-S OUT"));
    expect<u64>(counters.routersJudged).toBe(1);
    expect<u64>(counters.flowLines).toBe(2);
    expect<u64>(counters.foldedOutLines).toBe(2);
    // from then on it pairs hairpins too
    feed(ln("gw", 30000, "em0", "0:1", "p", "10.0.0.5,50000 -> 10.0.0.9,22 PR tcp len 20 60 -S", "K-S IN"));
    feed(ln("gw", 30009, "em0", "0:1", "p", "10.0.0.5,50000 -> 10.0.0.9,22 PR tcp len 20 60 -S", "K-S OUT"));
    expect<u64>(counters.flowLines).toBe(3);
  });
  it("packets whose lines came before the judgement are not counted twice (IN a, L b, IN b, OUT a, OUT b)", () => {
    init();
    const b = "10.0.0.6,40000 -> 198.51.100.7,80 PR tcp len 20 60 -S";
    feed(ln("gw", 0, "em0", "0:12", "p", SYN, "K-S IN"));
    feed(ln("gw", 3, "em0", "-1:-1", "L", b, "IN"));
    feed(ln("gw", 3, "em0", "0:12", "p", b, "K-S IN"));
    feed(ln("gw", 12, "em1", "0:12", "p", SYN, "K-S OUT")); // judged a router here
    feed(ln("gw", 15, "em1", "0:12", "p", b, "K-S OUT"));
    flushAll();
    const f = flows(take());
    expect<i32>(f.length).toBe(2);
    expect<u64>(counters.routersJudged).toBe(1);
    expect<u64>(counters.flowLines).toBe(2);
    expect<u64>(counters.foldedOutLines).toBe(2);
    expect<u64>(counters.foldedDecisionLines).toBe(1);
    expect<u64>(counters.packetsIn).toBe(2);
    expect<bool>(conserved()).toBe(true);
  });
  it("never pairs a host that logs on one interface", () => {
    init();
    const loop = "127.0.0.1,50000 -> 127.0.0.1,8080 PR tcp len 20 60 -S";
    feed(ln("h1", 0, "lo0", "0:1", "p", loop, "OUT"));
    feed(ln("h1", 5, "lo0", "0:1", "p", loop, "IN"));
    expect<u64>(counters.flowLines).toBe(2);
    expect<u64>(counters.routersJudged).toBe(0);
  });
  it("decides per logging host: a router's judgement leaves another host unpaired", () => {
    init();
    feed(ln("gw", 0, "em0", "0:12", "p", SYN, "K-S IN"));
    feed(ln("gw", 12, "em1", "0:12", "p", SYN, "K-S OUT"));
    const hairpin = "10.0.0.5,50000 -> 10.0.0.9,22 PR tcp len 20 60 -S";
    feed(ln("h1", 100, "em0", "0:1", "p", hairpin, "K-S IN"));
    feed(ln("h1", 109, "em0", "0:1", "p", hairpin, "K-S OUT"));
    expect<u64>(counters.routersJudged).toBe(1);
    expect<u64>(counters.flowLines).toBe(3);
  });
  it("the observers setting overrides the default for one host", () => {
    init('{"device":"host","observers":{"gw":{"device":"router"}}}');
    const hairpin = "10.0.0.5,50000 -> 10.0.0.9,22 PR tcp len 20 60 -S";
    feed(ln("gw", 0, "em0", "0:1", "p", hairpin, "K-S IN"));
    feed(ln("gw", 9, "em0", "0:1", "p", hairpin, "K-S OUT"));
    feed(ln("h1", 100, "em0", "0:12", "p", SYN, "K-S IN"));
    feed(ln("h1", 112, "em1", "0:12", "p", SYN, "K-S OUT"));
    expect<u64>(counters.flowLines).toBe(3);
    expect<u64>(counters.routersJudged).toBe(0);
  });
});

describe("log-only rules (L)", () => {
  it("an L line and its decision are one packet; the decision gives the action and the rule", () => {
    init('{"device":"host"}');
    feed(ln("h1", 0, "em0", "-1:-1", "L", SYN, "IN"));
    feed(ln("h1", 1, "em0", "0:7", "p", SYN, "K-S IN"));
    flushAll();
    const f = flows(take());
    expect<i32>(f.length).toBe(1);
    expect<bool>(has(f[0], '"action":"pass"')).toBe(true);
    expect<bool>(has(f[0], '"name":"@0:7"')).toBe(true);
    expect<bool>(has(f[0], '"packets":1,"bytes":60')).toBe(true);
    expect<u64>(counters.foldedDecisionLines).toBe(1);
  });
  it("a decision a relay delivered before its L line: still one packet", () => {
    init('{"device":"host"}');
    feed(ln("h1", 1, "em0", "0:7", "b", SYN, "IN"));
    feed(ln("h1", 0, "em0", "-1:-1", "L", SYN, "IN"));
    flushAll();
    const f = flows(take());
    expect<bool>(has(f[0], '"action":"block"')).toBe(true);
    expect<bool>(has(f[0], '"packets":1,"bytes":60')).toBe(true);
    expect<u64>(counters.foldedLogLines).toBe(1);
  });
  it("an L line no decision claims is a packet with action log; L lines of other interfaces do not pair", () => {
    init('{"device":"host"}');
    feed(ln("h1", 0, "em0", "-1:-1", "L", PING, "IN"));
    feed(ln("h1", 1, "em1", "0:7", "p", PING, "IN"));
    feed(ln("h1", 1000000, "em0", "-1:-1", "L", PING, "IN"));
    flushAll();
    const f = flows(take());
    expect<bool>(has(f[0], '"packets":3')).toBe(true);
    init('{"device":"host"}');
    feed(ln("h1", 0, "em0", "-1:-1", "L", PING, "IN"));
    feed(ln("h1", 1000000, "em0", "-1:-1", "L", PING, "IN"));
    flushAll();
    const g = flows(take());
    expect<bool>(has(g[0], '"action":"log"')).toBe(true);
    expect<bool>(has(g[0], '"packets":2')).toBe(true);
  });
  it("on a router, ingress L, IN, egress L and OUT are one packet", () => {
    init('{"device":"router"}');
    feed(ln("gw", 0, "em0", "-1:-1", "L", PING, "IN"));
    feed(ln("gw", 1, "em0", "0:30", "p", PING, "K-S IN"));
    feed(ln("gw", 10, "em1", "-1:-1", "L", PING, "OUT"));
    feed(ln("gw", 11, "em1", "0:30", "p", PING, "K-S OUT"));
    flushAll();
    const f = flows(take());
    expect<i32>(f.length).toBe(1);
    expect<bool>(has(f[0], '"packets":1,"bytes":84')).toBe(true);
    expect<bool>(has(f[0], '"name":"@0:30"')).toBe(true);
    expect<bool>(has(f[0], '"action":"pass"')).toBe(true);
    expect<u64>(counters.foldedDecisionLines).toBe(1);
    expect<u64>(counters.foldedLogLines).toBe(1);
    expect<u64>(counters.foldedOutLines).toBe(1);
    expect<bool>(conserved()).toBe(true);
  });
  it("on a router, a decision a relay delivered before its L line still takes the egress L (one packet)", () => {
    init('{"device":"router"}');
    feed(ln("gw", 1, "em0", "0:30", "p", PING, "K-S IN"));
    feed(ln("gw", 0, "em0", "-1:-1", "L", PING, "IN"));
    feed(ln("gw", 10, "em1", "-1:-1", "L", PING, "OUT"));
    feed(ln("gw", 11, "em1", "0:30", "p", PING, "K-S OUT"));
    flushAll();
    const f = flows(take());
    expect<i32>(f.length).toBe(1);
    expect<bool>(has(f[0], '"packets":1,"bytes":84')).toBe(true);
    expect<u64>(counters.foldedLogLines).toBe(2);
    expect<u64>(counters.flowLines).toBe(1);
    expect<bool>(conserved()).toBe(true);
  });
  it("on a host, the L line of the other interface stays a packet of its own", () => {
    init('{"device":"host"}');
    feed(ln("gw", 1, "em0", "0:30", "p", PING, "K-S IN"));
    feed(ln("gw", 0, "em0", "-1:-1", "L", PING, "IN"));
    feed(ln("gw", 10, "em1", "-1:-1", "L", PING, "OUT"));
    flushAll();
    const f = flows(take());
    expect<i32>(f.length).toBe(1);
    expect<bool>(has(f[0], '"packets":2,"bytes":168')).toBe(true);
    expect<u64>(counters.foldedLogLines).toBe(1);
    expect<bool>(conserved()).toBe(true);
  });
});
