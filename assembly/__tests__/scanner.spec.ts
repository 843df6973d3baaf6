import { advanceClock, flushAll, writeStats } from "../engine";
import { feed, init, take, pad, SEC, stamp, T0 } from "./support";

// Scans end to end: lines in, scan records out. Blocked SYNs are reported 5 s after they
// came (tcp_attempt_timeout), which is when they count as attempts.

const SCANNER = "203.0.113.9";
const TARGET = "192.0.2.10";

/** A SYN from src to dst:dport, blocked ("b") or passed ("p"). */
function syn(off: i64, action: string, src: string, dst: string, dport: i32, sport: i32 = 40000): string {
  return stamp(off) + " em0 @0:3 " + action + " " + src + "," + sport.toString() + " -> " + dst + "," + dport.toString() +
    " PR tcp len 20 60 -S IN";
}

function tcpLine(off: i64, src: string, sport: i32, dst: string, dport: i32, flags: string, dir: string): string {
  return stamp(off) + " em0 @0:1 p " + src + "," + sport.toString() + " -> " + dst + "," + dport.toString() +
    " PR tcp len 20 60 -" + flags + " " + dir;
}

function scans(out: string): string[] {
  const all = out.split("\n");
  const r: string[] = [];
  for (let i = 0; i < all.length; i++) if (all[i].includes('"record_type":"scan"')) r.push(all[i]);
  return r;
}

function count(out: string, what: string): i32 {
  let n = 0;
  let at = out.indexOf(what);
  while (at >= 0) {
    n++;
    at = out.indexOf(what, at + what.length);
  }
  return n;
}

/** The raw value after `"key":` (first occurrence), up to the next , } or ]; strings unquoted. */
function value(rec: string, key: string): string {
  const k = '"' + key + '":';
  const at = rec.indexOf(k);
  if (at < 0) return "<missing " + key + ">";
  let p = at + k.length;
  if (rec.charCodeAt(p) == 0x22) return rec.substring(p + 1, rec.indexOf('"', p + 1));
  if (rec.charCodeAt(p) == 0x5b) return rec.substring(p, rec.indexOf("]", p) + 1);
  let e = p;
  while (e < rec.length && rec.charCodeAt(e) != 0x2c && rec.charCodeAt(e) != 0x7d) e++;
  return rec.substring(p, e);
}

function stat(key: string): string {
  writeStats();
  return value(take(), key);
}

describe("port scans", () => {
  it("16 blocked ports in 16 s: a record when the 15th is reported, and one when the source has been quiet 300 s", () => {
    init();
    for (let i = 0; i < 16; i++) feed(syn(<i64>i * SEC, "b", SCANNER, TARGET, 1000 + i));
    // the 15th SYN (14 s) is reported 5 s later, at 19 s
    advanceClock(T0 + 19 * SEC - 1);
    expect<i32>(scans(take()).length).toBe(0);
    advanceClock(T0 + 19 * SEC);
    const first = scans(take());
    expect<i32>(first.length).toBe(1);
    const id = value(first[0], "id");
    expect<string>(first[0]).toBe(
      '{"@timestamp":"2024-03-03T11:00:00.000000Z","ecs":{"version":"8.17.0"},"event":{"kind":"alert",' +
      '"category":["network","intrusion_detection"],"type":["info"],"action":"port_scan","dataset":"ipmon.scan",' +
      '"module":"ipmon","start":"2024-03-03T11:00:00.000000Z","end":"2024-03-03T11:00:14.000000Z",' +
      '"duration":14000000000,"id":"' + id + '"},"source":{"ip":"203.0.113.9"},"destination":{"ip":"192.0.2.10"},' +
      '"observer":{"type":"firewall","vendor":"IPFilter","product":"ipmon"},"related":{"ip":["203.0.113.9","192.0.2.10"]},' +
      '"ipmon":{"record_type":"scan","scan":{"status":"ongoing","distinct_ports":15,"distinct_exact":true,' +
      '"threshold":15,"interval":300,"sample_ports":[1000,1001,1002,1003,1004,1005,1006,1007,1008,1009],' +
      '"attempts":15,"blocked":15,"rejected":0,"unanswered":0,"answered":0,"protocols":["tcp"]}}}');
    // the 16th attempt (15 s) is reported at 20 s; the episode ends 300 s after the attempt
    advanceClock(T0 + 315 * SEC - 1);
    expect<i32>(scans(take()).length).toBe(0);
    advanceClock(T0 + 315 * SEC);
    const last = scans(take());
    expect<i32>(last.length).toBe(1);
    expect<string>(value(last[0], "id")).toBe(id);
    expect<string>(value(last[0], "status")).toBe("ended");
    expect<string>(value(last[0], "distinct_ports")).toBe("16");
    expect<string>(value(last[0], "attempts")).toBe("16");
    expect<string>(value(last[0], "end")).toBe("2024-03-03T11:00:15.000000Z");
    expect<string>(stat("scan_records")).toBe("2");
    expect<string>(stat("scan_episodes")).toBe("1");
    expect<string>(stat("scans_tracked")).toBe("0");
  });

  it("rejected (RST to the SYN) and unanswered attempts count; their kinds are told apart", () => {
    init('{"port_scan_threshold":4}');
    feed(tcpLine(0, SCANNER, 40000, TARGET, 21, "S", "IN"));
    feed(tcpLine(1000, TARGET, 21, SCANNER, 40000, "AR", "OUT"));
    feed(tcpLine(SEC, SCANNER, 40000, TARGET, 23, "S", "IN"));
    feed(tcpLine(SEC + 1000, TARGET, 23, SCANNER, 40000, "AR", "OUT"));
    feed(tcpLine(2 * SEC, SCANNER, 40000, TARGET, 25, "S", "IN"));
    feed(syn(3 * SEC, "b", SCANNER, TARGET, 110));
    flushAll();
    const r = scans(take());
    expect<i32>(r.length).toBe(2);
    expect<string>(value(r[1], "status")).toBe("ended");
    expect<string>(value(r[1], "rejected")).toBe("2");
    expect<string>(value(r[1], "unanswered")).toBe("1");
    expect<string>(value(r[1], "blocked")).toBe("1");
    // the sample keeps targets in the order their attempts were reported: at the end of input
    // the attempts still waiting go first (25, 110), then the closing REJs (21, 23)
    expect<string>(value(r[1], "sample_ports")).toBe("[25,110,21,23]");
  });

  it("a slow scan, one port every 30 s, never has 15 ports within 300 s", () => {
    init();
    for (let i = 0; i < 40; i++) feed(syn(<i64>i * 30 * SEC, "b", SCANNER, TARGET, 2000 + i));
    flushAll();
    const out = take();
    expect<i32>(scans(out).length).toBe(0);
    expect<i32>(count(out, '"record_type":"flow"')).toBe(40);
  });

  it("two scanners at once, interleaved, are two episodes", () => {
    init();
    for (let i = 0; i < 20; i++) {
      feed(syn(<i64>i * SEC, "b", SCANNER, TARGET, 3000 + i));
      feed(syn(<i64>i * SEC + 500, "b", "198.51.100.7", "192.0.2.11", 4000 + i));
    }
    flushAll();
    const r = scans(take());
    expect<i32>(r.length).toBe(4);
    expect<i32>(count(r.join("\n"), '"status":"ended"')).toBe(2);
    expect<i32>(count(r.join("\n"), '"source":{"ip":"198.51.100.7"}')).toBe(2);
  });

  it("beyond 64 distinct ports the count is an estimate, and says so", () => {
    init();
    for (let i = 0; i < 400; i++) feed(syn(<i64>i * 100000, "b", SCANNER, TARGET, 5000 + i));
    flushAll();
    const r = scans(take());
    expect<i32>(r.length).toBe(2);
    expect<string>(value(r[1], "distinct_exact")).toBe("false");
    const n = I32.parseInt(value(r[1], "distinct_ports"));
    expect<bool>(n >= 360 && n <= 440).toBe(true);
    expect<string>(value(r[1], "attempts")).toBe("400");
  });
});

describe("address scans", () => {
  it("25 hosts on one port: one episode, destination.port and network.transport, hosts sampled", () => {
    init();
    for (let i = 0; i < 30; i++) feed(syn(<i64>i * SEC, "b", SCANNER, "192.0.2." + (20 + i).toString(), 22));
    flushAll();
    const r = scans(take());
    expect<i32>(r.length).toBe(2);
    expect<string>(value(r[0], "action")).toBe("address_scan");
    expect<string>(value(r[0], "distinct_hosts")).toBe("25");
    expect<string>(value(r[0], "end")).toBe("2024-03-03T11:00:24.000000Z");
    expect<string>(value(r[0], "port")).toBe("22");
    expect<string>(value(r[0], "transport")).toBe("tcp");
    expect<string>(value(r[1], "distinct_hosts")).toBe("30");
    expect<string>(value(r[1], "sample_hosts")).toBe(
      '["192.0.2.20","192.0.2.21","192.0.2.22","192.0.2.23","192.0.2.24","192.0.2.25","192.0.2.26","192.0.2.27","192.0.2.28","192.0.2.29"]');
  });

  it("an unanswered ping sweep is an ICMP address scan without a port", () => {
    init();
    for (let i = 0; i < 25; i++) {
      feed(stamp(<i64>i * SEC) + " em0 @0:4 p " + SCANNER + " -> 192.0.2." + (i + 1).toString() + " PR icmp len 20 84 icmp echo/0 IN");
    }
    flushAll();
    const r = scans(take());
    expect<i32>(r.length).toBe(2);
    expect<string>(value(r[0], "transport")).toBe("icmp");
    expect<bool>(r[0].includes('"destination"')).toBe(false);
    expect<string>(value(r[1], "unanswered")).toBe("25");
    expect<string>(value(r[1], "protocols")).toBe('["icmp"]');
  });

  it("a busy proxy whose connections are answered is not a scanner", () => {
    init();
    for (let i = 0; i < 60; i++) {
      const dst = "198.51.100." + (i + 1).toString();
      const sport = 50000 + i;
      const t = <i64>i * SEC;
      feed(tcpLine(t, "10.0.0.8", sport, dst, 443, "S", "OUT"));
      feed(tcpLine(t + 20000, dst, 443, "10.0.0.8", sport, "AS", "IN"));
      feed(tcpLine(t + 21000, "10.0.0.8", sport, dst, 443, "A", "OUT"));
    }
    flushAll();
    expect<i32>(scans(take()).length).toBe(0);
    expect<string>(stat("scans_tracked")).toBe("0");
  });

  it("answered attempts are counted on a scanner's candidate but do not make it cross", () => {
    init('{"address_scan_threshold":3}');
    feed(syn(0, "b", SCANNER, "192.0.2.1", 80));
    feed(tcpLine(SEC, SCANNER, 40001, "192.0.2.2", 80, "S", "IN"));
    feed(tcpLine(SEC + 1000, "192.0.2.2", 80, SCANNER, 40001, "AS", "OUT"));
    feed(tcpLine(SEC + 2000, SCANNER, 40001, "192.0.2.2", 80, "A", "IN"));
    feed(syn(2 * SEC, "b", SCANNER, "192.0.2.3", 80));
    flushAll();
    expect<i32>(scans(take()).length).toBe(0);
    feed(syn(3 * SEC, "b", SCANNER, "192.0.2.4", 80));
    feed(syn(4 * SEC, "b", SCANNER, "192.0.2.5", 80));
    feed(syn(5 * SEC, "b", SCANNER, "192.0.2.6", 80));
    flushAll();
    const r = scans(take());
    expect<i32>(r.length).toBe(2);
    expect<string>(value(r[1], "answered")).toBe("0");
  });
});

describe("bounds and settings", () => {
  it("a flood of spoofed sources keeps the tracker at its fixed size; every flow is still reported", () => {
    init('{"capacity":65536}');
    for (let i = 0; i < 6000; i++) {
      const src = "100." + ((i >> 16) & 255).toString() + "." + ((i >> 8) & 255).toString() + "." + (i & 255).toString();
      feed(syn(<i64>i * 1000, "b", src, TARGET, 22));
    }
    flushAll();
    const out = take();
    expect<i32>(count(out, '"record_type":"flow"')).toBe(6000);
    expect<i32>(scans(out).length).toBe(0);
    writeStats();
    const s = take();
    expect<bool>(I32.parseInt(value(s, "scan_candidates_evicted")) > 0).toBe(true);
    expect<string>(value(s, "scans_tracked")).toBe("0");
  });

  it("scan_detection false writes none", () => {
    init('{"scan_detection":false}');
    for (let i = 0; i < 20; i++) feed(syn(<i64>i * SEC, "b", SCANNER, TARGET, 1000 + i));
    flushAll();
    expect<i32>(scans(take()).length).toBe(0);
  });

  it("each logging host keeps its own scans", () => {
    init('{"port_scan_threshold":10}');
    for (let i = 0; i < 12; i++) {
      for (let h = 1; h <= 2; h++) {
        feed("Mar  3 11:00:" + pad(i, 2) + " fw" + h.toString() + " ipmon[1]: 11:00:" + pad(i, 2) + ".000000 em0 @0:3 b " +
          SCANNER + ",40000 -> " + TARGET + "," + (100 + i).toString() + " PR tcp len 20 60 -S IN");
      }
    }
    flushAll();
    const r = scans(take());
    expect<i32>(r.length).toBe(4);
    expect<i32>(count(r.join("\n"), '"hostname":"fw1"')).toBe(2);
    expect<i32>(count(r.join("\n"), '"hostname":"fw2"')).toBe(2);
    expect<string>(value(r[3], "distinct_ports")).toBe("12");
  });
});
