import { applyConfig } from "../config";
import { engineInit, processLine, advanceClock, flushAll, engineClock, writeStats, counters } from "../engine";
import { outReset, outPtr, outLen, MODE_NDJSON } from "../records/output";
import { DEFAULTS, feed, init, take, pad, SEC, stamp, T0 } from "./support";

// End to end: lines in, NDJSON records out of the output buffer.

const BUF = memory.data(2048);
const CLIENT = "10.0.0.5";
const SERVER = "93.184.216.34";

function records(out: string): string[] {
  const all = out.split("\n");
  const r: string[] = [];
  for (let i = 0; i < all.length; i++) if (all[i].length > 0) r.push(all[i]);
  return r;
}

/**
 * The raw JSON value at a dotted path, found by walking the keys in document order:
 * "source.port" is the first "port" after "source". Strings come back without quotes.
 */
function field(rec: string, path: string): string {
  const parts = path.split(".");
  let pos = 0;
  for (let i = 0; i < parts.length; i++) {
    const k = '"' + parts[i] + '":';
    const at = rec.indexOf(k, pos);
    if (at < 0) return "<missing " + path + ">";
    pos = at + k.length;
  }
  const c = rec.charCodeAt(pos);
  if (c == 0x22) return rec.substring(pos + 1, rec.indexOf('"', pos + 1));
  if (c == 0x5b || c == 0x7b) {
    let depth = 0;
    for (let j = pos; j < rec.length; j++) {
      const d = rec.charCodeAt(j);
      if (d == 0x5b || d == 0x7b) depth++;
      else if (d == 0x5d || d == 0x7d) {
        depth--;
        if (depth == 0) return rec.substring(pos, j + 1);
      }
    }
    return rec.substring(pos);
  }
  let end = pos;
  while (end < rec.length) {
    const d = rec.charCodeAt(end);
    if (d == 0x2c || d == 0x7d || d == 0x5d) break;
    end++;
  }
  return rec.substring(pos, end);
}

function tcp(off: i64, src: string, sport: i32, dst: string, dport: i32, plen: i32, flags: string, dir: string): string {
  return stamp(off) + " em0 @0:1 p " + src + "," + sport.toString() + " -> " + dst + "," + dport.toString() +
    " PR tcp len 20 " + plen.toString() + " -" + flags + " K-S " + dir;
}

function udp(off: i64, src: string, sport: i32, dst: string, dport: i32, plen: i32, dir: string): string {
  return stamp(off) + " em0 @0:2 p " + src + "," + sport.toString() + " -> " + dst + "," + dport.toString() +
    " PR udp len 20 " + plen.toString() + " K-S " + dir;
}

/** Client → server on the outbound side. */
function c2s(off: i64, plen: i32, flags: string, sport: i32 = 49152): string {
  return tcp(off, CLIENT, sport, SERVER, 443, plen, flags, "OUT");
}
function s2c(off: i64, plen: i32, flags: string, dport: i32 = 49152): string {
  return tcp(off, SERVER, 443, CLIENT, dport, plen, flags, "IN");
}

/** A complete HTTPS conversation starting at `off`; the close completes at off + 1.020000 s. */
function conversation(off: i64, sport: i32 = 49152): void {
  feed(c2s(off, 60, "S", sport));
  feed(s2c(off + 20000, 60, "AS", sport));
  feed(c2s(off + 21000, 52, "A", sport));
  feed(c2s(off + 22000, 569, "AP", sport));
  feed(s2c(off + 50000, 52, "A", sport));
  feed(s2c(off + 60000, 1500, "AP", sport));
  feed(c2s(off + SEC, 52, "AF", sport));
  feed(s2c(off + SEC + 20000, 52, "AF", sport));
  feed(c2s(off + SEC + 21000, 52, "A", sport));
}

describe("processLine: a full TCP conversation", () => {
  it("stays open until the close grace has passed, then gives one SF flow 'ShADadFf'", () => {
    init();
    conversation(0);
    expect<string>(take()).toBe("");
    advanceClock(T0 + SEC + 20000 + 5 * SEC - 1);
    expect<string>(take()).toBe("");
    advanceClock(T0 + SEC + 20000 + 5 * SEC);
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    const f = r[0];
    expect<string>(field(f, "ipmon.history")).toBe("ShADadFf");
    expect<string>(field(f, "ipmon.conn_state")).toBe("SF");
    expect<string>(field(f, "ipmon.conn_state_description")).toBe("Normal establishment and termination.");
    expect<string>(field(f, "ipmon.end_reason")).toBe("end_of_flow");
    expect<string>(field(f, "event.reason")).toBe("end_of_flow");
    expect<string>(field(f, "event.type")).toBe('["connection","end","allowed"]');
    expect<string>(field(f, "ipmon.record_type")).toBe("flow");
    expect<string>(field(f, "ipmon.action")).toBe("pass");
    expect<string>(field(f, "ipmon.syn_seen")).toBe("true");
    expect<string>(field(f, "ipmon.flipped")).toBe("false");
    expect<string>(field(f, "ipmon.lines")).toBe("9");
    expect<string>(field(f, "ipmon.source_tcp_flags")).toBe("ASFP");
    expect<string>(field(f, "ipmon.destination_tcp_flags")).toBe("ASFP");
  });
  it("counts packets and IP bytes per side, times to the microsecond", () => {
    init();
    conversation(0);
    flushAll();
    const f = records(take())[0];
    expect<string>(field(f, "source.ip")).toBe(CLIENT);
    expect<string>(field(f, "source.port")).toBe("49152");
    expect<string>(field(f, "source.packets")).toBe("5");
    expect<string>(field(f, "source.bytes")).toBe("785");
    expect<string>(field(f, "destination.ip")).toBe(SERVER);
    expect<string>(field(f, "destination.port")).toBe("443");
    expect<string>(field(f, "destination.packets")).toBe("4");
    expect<string>(field(f, "destination.bytes")).toBe("1664");
    expect<string>(field(f, "network.transport")).toBe("tcp");
    expect<string>(field(f, "network.type")).toBe("ipv4");
    expect<string>(field(f, "network.iana_number")).toBe("6");
    expect<string>(field(f, "network.packets")).toBe("9");
    expect<string>(field(f, "network.bytes")).toBe("2449");
    expect<string>(field(f, "network.community_id")).toBe("1:WFu5YQGJptNO6IrtaHnl24qBbd0=");
    expect<string>(field(f, "@timestamp")).toBe("2024-03-03T11:00:00.000000Z");
    expect<string>(field(f, "event.start")).toBe("2024-03-03T11:00:00.000000Z");
    // the trailing ACK after both FINs is counted but does not extend the duration (Zeek)
    expect<string>(field(f, "event.end")).toBe("2024-03-03T11:00:01.020000Z");
    expect<string>(field(f, "event.duration")).toBe("1020000000");
    expect<string>(field(f, "event.reason")).toBe("forced_end");
    expect<string>(field(f, "related.ip")).toBe('["10.0.0.5","93.184.216.34"]');
  });
  it("names the interfaces, the rule and the observer", () => {
    init();
    conversation(0);
    flushAll();
    const f = records(take())[0];
    // seen from the originator: its packets leave on em0 (OUT), the replies come in there
    // (IN em0 is where the originator's packets would leave): nothing names an ingress
    expect<string>(field(f, "observer.ingress.interface.name")).toBe("<missing observer.ingress.interface.name>");
    expect<string>(field(f, "observer.egress.interface.name")).toBe("em0");
    expect<string>(field(f, "observer.type")).toBe("firewall");
    expect<string>(field(f, "rule.ruleset")).toBe("0");
    expect<string>(field(f, "rule.id")).toBe("1");
    expect<string>(field(f, "rule.name")).toBe("@0:1");
    expect<bool>(f.indexOf('"hostname"') < 0).toBe(true); // file mode has no observer host
  });
  it("gives the same conversation the same 16-hex-digit event.id in every run", () => {
    init();
    conversation(0);
    flushAll();
    const id1 = field(records(take())[0], "event.id");
    init();
    conversation(0);
    flushAll();
    const id2 = field(records(take())[0], "event.id");
    expect<i32>(id1.length).toBe(16);
    expect<string>(id2).toBe(id1);
    init();
    conversation(SEC); // another start time: another id
    flushAll();
    expect<bool>(field(records(take())[0], "event.id") != id1).toBe(true);
  });
  it("keeps flows seen by different observers apart (the observer is part of the key)", () => {
    init();
    feed("Mar  3 11:00:00 fw1 ipmon[1]: 11:00:00.000000 em0 @0:1 p 10.0.0.5,49152 -> 93.184.216.34,443 PR tcp len 20 60 -S K-S OUT");
    feed("Mar  3 11:00:00 fw2 ipmon[1]: 11:00:00.000100 em0 @0:1 p 10.0.0.5,49152 -> 93.184.216.34,443 PR tcp len 20 60 -S K-S OUT");
    feed("Mar  3 11:00:00 fw1 ipmon[1]: 11:00:00.020000 em0 @0:1 p 93.184.216.34,443 -> 10.0.0.5,49152 PR tcp len 20 60 -AS K-S IN");
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(2);
    let fw1 = "";
    let fw2 = "";
    for (let i = 0; i < r.length; i++) {
      if (field(r[i], "observer.hostname") == "fw1") fw1 = r[i];
      if (field(r[i], "observer.hostname") == "fw2") fw2 = r[i];
    }
    expect<string>(field(fw1, "ipmon.history")).toBe("Sh");
    expect<string>(field(fw2, "ipmon.history")).toBe("S");
  });
});

describe("advanceClock: idle expiry", () => {
  it("UDP: expires exactly udp_timeout after the last packet, SF with history Dd", () => {
    init();
    feed(udp(0, CLIENT, 53011, "10.0.0.53", 53, 62, "OUT"));
    feed(udp(1000, "10.0.0.53", 53, CLIENT, 53011, 178, "IN"));
    advanceClock(T0 + 1000 + 60 * SEC - 1);
    expect<string>(take()).toBe("");
    advanceClock(T0 + 1000 + 60 * SEC);
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    const f = r[0];
    expect<string>(field(f, "ipmon.end_reason")).toBe("idle_timeout");
    expect<string>(field(f, "ipmon.conn_state")).toBe("SF");
    expect<string>(field(f, "ipmon.history")).toBe("Dd");
    expect<string>(field(f, "source.bytes")).toBe("62");
    expect<string>(field(f, "destination.bytes")).toBe("178");
    expect<string>(field(f, "event.duration")).toBe("1000000");
    expect<string>(field(f, "network.transport")).toBe("udp");
    expect<string>(field(f, "network.community_id")).toBe("1:vY3SAV7mFYasniTmjMOp/bmgqyI=");
    expect<bool>(f.indexOf("source_tcp_flags") < 0).toBe(true);
  });
  it("a later line moves the clock and expires old flows before it is counted", () => {
    init();
    feed(udp(0, CLIENT, 53011, "10.0.0.53", 53, 62, "OUT"));
    feed(udp(61 * SEC, CLIENT, 53011, "10.0.0.53", 53, 62, "OUT"));
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    expect<string>(field(r[0], "ipmon.end_reason")).toBe("idle_timeout");
    expect<string>(field(r[0], "ipmon.conn_state")).toBe("S0");
    expect<string>(field(r[0], "source.packets")).toBe("1");
    flushAll();
    const s = records(take());
    expect<i32>(s.length).toBe(1);
    expect<string>(field(s[0], "event.start")).toBe("2024-03-03T11:01:01.000000Z");
  });
  it("TCP attempt: a lone unanswered SYN is reported tcp_attempt_timeout after it (S0)", () => {
    init();
    feed(c2s(0, 60, "S"));
    advanceClock(T0 + 5 * SEC - 1);
    expect<string>(take()).toBe("");
    advanceClock(T0 + 5 * SEC);
    const f = records(take())[0];
    expect<string>(field(f, "ipmon.conn_state")).toBe("S0");
    expect<string>(field(f, "source.packets")).toBe("1");
  });
  it("TCP attempt: after a retransmission, twice the gap's backoff level plus tcp_attempt_timeout (S0)", () => {
    init();
    feed(c2s(0, 60, "S"));
    // a 3 s gap (Windows) is backoff level 4 s: the next retry is due by 8 s, reported after 8 + 5 s
    feed(c2s(3 * SEC, 60, "S"));
    advanceClock(T0 + 16 * SEC - 1);
    expect<string>(take()).toBe("");
    advanceClock(T0 + 16 * SEC);
    const f = records(take())[0];
    expect<string>(field(f, "ipmon.conn_state")).toBe("S0");
    expect<string>(field(f, "ipmon.history")).toBe("S");
    expect<string>(field(f, "source.packets")).toBe("2");
    expect<string>(field(f, "ipmon.end_reason")).toBe("idle_timeout");
  });
  it("TCP attempt: a copy of a SYN microseconds later (an unpaired egress line) keeps the backoff level", () => {
    init('{"device":"host"}');
    feed(c2s(0, 60, "S"));
    feed(c2s(3 * SEC, 60, "S"));
    feed(c2s(3 * SEC + 12, 60, "S"));
    // the longest gap (3 s) decides, not the last (12 µs): reported 8 + 5 s after the last SYN
    advanceClock(T0 + 3 * SEC + 12 + 13 * SEC - 1);
    expect<string>(take()).toBe("");
    advanceClock(T0 + 3 * SEC + 12 + 13 * SEC);
    const f = records(take())[0];
    expect<string>(field(f, "source.packets")).toBe("3");
  });
  it("TCP established: tcp_timeout after the last packet (S1)", () => {
    init();
    feed(c2s(0, 60, "S"));
    feed(s2c(10000, 60, "AS"));
    feed(c2s(20000, 52, "A"));
    advanceClock(T0 + 20000 + 300 * SEC - 1);
    expect<string>(take()).toBe("");
    advanceClock(T0 + 20000 + 300 * SEC);
    const f = records(take())[0];
    expect<string>(field(f, "ipmon.conn_state")).toBe("S1");
    expect<string>(field(f, "ipmon.history")).toBe("ShA");
    expect<string>(field(f, "ipmon.end_reason")).toBe("idle_timeout");
  });
  it("honours configured timeouts", () => {
    init('{"udp_timeout":2,"close_grace":0.5}');
    feed(udp(0, CLIENT, 53011, "10.0.0.53", 53, 62, "OUT"));
    advanceClock(T0 + 2 * SEC);
    expect<i32>(records(take()).length).toBe(1);
    conversation(10 * SEC);
    advanceClock(T0 + 11 * SEC + 20000 + SEC / 2);
    const f = records(take())[0];
    expect<string>(field(f, "ipmon.conn_state")).toBe("SF");
  });
  it("never moves the clock back", () => {
    init();
    advanceClock(T0 + 10 * SEC);
    advanceClock(T0);
    expect<i64>(engineClock()).toBe(T0 + 10 * SEC);
    feed(udp(0, CLIENT, 53011, "10.0.0.53", 53, 62, "OUT")); // an older line does not rewind it
    expect<i64>(engineClock()).toBe(T0 + 10 * SEC);
  });
  it("times flows on the engine clock: a lagging host's flow is not expired on arrival", () => {
    init();
    advanceClock(T0 + 100 * SEC);
    feed(udp(0, CLIENT, 53011, "10.0.0.53", 53, 62, "OUT")); // 100 s behind the clock
    expect<string>(take()).toBe("");
    advanceClock(T0 + 159 * SEC);
    expect<string>(take()).toBe("");
    advanceClock(T0 + 160 * SEC);
    const f = records(take())[0];
    expect<string>(field(f, "event.start")).toBe("2024-03-03T11:00:00.000000Z");
  });
});

describe("processLine: port reuse and retransmission", () => {
  it("a fresh SYN on a tuple whose close completed ends the old flow at once and starts a new one", () => {
    init();
    conversation(0);
    expect<string>(take()).toBe("");
    feed(c2s(2 * SEC, 60, "S"));
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    expect<string>(field(r[0], "ipmon.conn_state")).toBe("SF");
    expect<string>(field(r[0], "ipmon.history")).toBe("ShADadFf");
    expect<string>(field(r[0], "ipmon.end_reason")).toBe("end_of_flow");
    expect<string>(field(r[0], "ipmon.lines")).toBe("9");
    flushAll();
    const s = records(take());
    expect<i32>(s.length).toBe(1);
    expect<string>(field(s[0], "ipmon.history")).toBe("S");
    expect<string>(field(s[0], "ipmon.conn_state")).toBe("S0");
    expect<string>(field(s[0], "event.start")).toBe("2024-03-03T11:00:02.000000Z");
    expect<bool>(field(s[0], "event.id") != field(r[0], "event.id")).toBe(true);
  });
  it("a fresh SYN after a RST is a new connection too", () => {
    init();
    feed(c2s(0, 60, "S"));
    feed(s2c(1000, 40, "AR"));
    feed(c2s(SEC, 60, "S"));
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    expect<string>(field(r[0], "ipmon.conn_state")).toBe("REJ");
    expect<string>(field(r[0], "ipmon.history")).toBe("Sr");
  });
  it("a retransmitted SYN on an open flow stays in the same flow", () => {
    init();
    feed(c2s(0, 60, "S"));
    feed(c2s(SEC, 60, "S"));
    feed(s2c(SEC + 1000, 60, "AS"));
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    expect<string>(field(r[0], "ipmon.history")).toBe("Sh");
    expect<string>(field(r[0], "source.packets")).toBe("2");
  });
  it("other client ports are other flows", () => {
    init();
    conversation(0, 50001);
    conversation(0, 50002);
    flushAll();
    expect<i32>(records(take()).length).toBe(2);
  });
});

describe("processLine: who is the originator", () => {
  it("a midstream first packet from a likely server port flips the roles (^a)", () => {
    init();
    feed(s2c(0, 52, "A"));
    feed(c2s(1000, 52, "A"));
    flushAll();
    const f = records(take())[0];
    expect<string>(field(f, "source.ip")).toBe(CLIENT);
    expect<string>(field(f, "destination.port")).toBe("443");
    expect<string>(field(f, "ipmon.history")).toBe("^aA");
    expect<string>(field(f, "ipmon.flipped")).toBe("true");
    expect<string>(field(f, "ipmon.conn_state")).toBe("OTH");
  });
  it("a SYN-ACK first from a likely server port flips at creation (^h…)", () => {
    init();
    feed(s2c(0, 60, "AS"));
    feed(c2s(1000, 52, "A"));
    flushAll();
    const f = records(take())[0];
    expect<string>(field(f, "source.ip")).toBe(CLIENT);
    expect<string>(field(f, "ipmon.history")).toBe("^hA");
    expect<string>(field(f, "ipmon.conn_state")).toBe("S1");
  });
  it("RSTRH: SYN-ACK then RST from the server, no SYN seen", () => {
    init();
    feed(s2c(0, 60, "AS"));
    feed(s2c(1000, 40, "R"));
    flushAll();
    const f = records(take())[0];
    expect<string>(field(f, "ipmon.history")).toBe("^hr");
    expect<string>(field(f, "ipmon.conn_state")).toBe("RSTRH");
  });
  // Project rule (issue 2, README "How conversations are built"): a first packet that is a
  // SYN-ACK always makes its receiver the originator, whatever the ports. This is stricter than
  // Zeek's WantConnection (which flips at creation only from a likely server port and otherwise
  // waits for the following ACK, flow-semantics.md §1.4 items 2-3), and gives the same final
  // "^h…" history once the handshake goes on.
  it("a lone SYN-ACK between two non-server ports is flipped: the receiver is the originator", () => {
    init();
    feed(tcp(0, "10.0.0.9", 40000, CLIENT, 50000, 60, "AS", "IN"));
    flushAll();
    const f = records(take())[0];
    expect<string>(field(f, "ipmon.history")).toBe("^h");
    expect<string>(field(f, "ipmon.flipped")).toBe("true");
    expect<string>(field(f, "source.ip")).toBe(CLIENT);
    expect<string>(field(f, "source.port")).toBe("50000");
    expect<string>(field(f, "destination.port")).toBe("40000");
    expect<string>(field(f, "ipmon.conn_state")).toBe("OTH");
    expect<string>(field(f, "network.community_id")).toBe("1:vTcW7VTi3lwN9knuwOXEtFYnQ08=");
  });
  it("a SYN-ACK between two likely server ports is flipped the same way", () => {
    init();
    feed(tcp(0, "10.0.0.9", 80, CLIENT, 443, 60, "AS", "IN"));
    flushAll();
    const f = records(take())[0];
    expect<string>(field(f, "ipmon.history")).toBe("^h");
    expect<string>(field(f, "source.port")).toBe("443");
  });
  it("a pure SYN never flips, even from a server port", () => {
    init();
    feed(tcp(0, SERVER, 443, CLIENT, 50000, 60, "S", "IN"));
    flushAll();
    const f = records(take())[0];
    expect<string>(field(f, "source.ip")).toBe(SERVER);
    expect<string>(field(f, "ipmon.history")).toBe("S");
  });
  it("midstream between two server ports flips only if the source port is lower", () => {
    init();
    feed(tcp(0, "10.0.0.9", 80, CLIENT, 443, 52, "A", "IN"));
    feed(tcp(0, "10.0.0.9", 443, CLIENT, 80, 52, "A", "IN"));
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(2);
    expect<string>(field(r[0], "ipmon.flipped")).toBe("true"); // 80 < 443: the 443 side is the client
    expect<string>(field(r[1], "ipmon.flipped")).toBe("false");
  });
  it("UDP: a reply first from port 53 flips (^d, SHR); two server ports do not", () => {
    init();
    feed(udp(0, "10.0.0.53", 53, CLIENT, 53011, 178, "IN"));
    feed(udp(0, "10.0.0.53", 53, CLIENT, 123, 90, "IN"));
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(2);
    expect<string>(field(r[0], "ipmon.history")).toBe("^d");
    expect<string>(field(r[0], "ipmon.conn_state")).toBe("SHR");
    expect<string>(field(r[0], "source.ip")).toBe(CLIENT);
    expect<string>(field(r[0], "destination.packets")).toBe("1");
    expect<string>(field(r[1], "ipmon.history")).toBe("D");
    expect<string>(field(r[1], "ipmon.conn_state")).toBe("S0");
  });
});

describe("processLine: ICMP, repeats, short packets, fragments", () => {
  it("echo request and reply are one OTH flow with icmp type/code and no ports", () => {
    init();
    feed(stamp(0) + " em0 @0:7 p 10.0.0.5 -> 10.0.0.1 PR icmp len 20 84 icmp echo/0 K-S OUT");
    feed(stamp(400) + " em0 @0:7 p 10.0.0.1 -> 10.0.0.5 PR icmp len 20 84 icmp echoreply/0 K-S IN");
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    const f = r[0];
    expect<string>(field(f, "ipmon.conn_state")).toBe("OTH");
    expect<string>(field(f, "ipmon.history")).toBe("");
    expect<string>(field(f, "icmp")).toBe('{"type":8,"code":0}');
    expect<string>(field(f, "network.transport")).toBe("icmp");
    expect<string>(field(f, "source.packets")).toBe("1");
    expect<string>(field(f, "destination.packets")).toBe("1");
    expect<bool>(f.indexOf('"port"') < 0).toBe(true);
    expect<string>(field(f, "network.community_id")).toBe("1:GJZWK3mbUCicOEAp8UY8fgcUIqk=");
  });
  it("ICMPv6 echo: ipv6-icmp transport and compressed addresses", () => {
    init();
    feed(stamp(0) + " em0 @0:7 p 2001:db8::5 -> 2001:db8::1 PR icmpv6 len 40 104 icmpv6 echo/0 K-S OUT");
    flushAll();
    const f = records(take())[0];
    expect<string>(field(f, "network.transport")).toBe("ipv6-icmp");
    expect<string>(field(f, "network.type")).toBe("ipv6");
    expect<string>(field(f, "source.ip")).toBe("2001:db8::5");
    expect<string>(field(f, "icmp")).toBe('{"type":128,"code":0}');
    expect<string>(field(f, "network.community_id")).toBe("1:Eax4XiLm8sKj/YiaSx4G//lg1H4=");
  });
  it("IPv6 TCP: both directions find one flow; RFC 5952 addresses; Community ID", () => {
    init();
    feed(stamp(0) + " em0 @0:13 p 2001:db8::5,50000 -> 2001:db8::1,22 PR tcp len 40 80 -S K-S IN");
    feed(stamp(100) + " em0 @0:13 p 2001:0db8:0:0:0:0:0:1,22 -> 2001:db8::5,50000 PR tcp len 40 80 -AS K-S OUT");
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    expect<string>(field(r[0], "source.ip")).toBe("2001:db8::5");
    expect<string>(field(r[0], "destination.ip")).toBe("2001:db8::1");
    expect<string>(field(r[0], "network.type")).toBe("ipv6");
    expect<string>(field(r[0], "ipmon.history")).toBe("Sh");
    expect<string>(field(r[0], "network.community_id")).toBe("1:by2BhelJT5sqQfjR6uVXWokL+p0=");
  });
  it("a flow between two ports of one host lists the address once in related.ip", () => {
    init();
    feed(udp(0, CLIENT, 40000, CLIENT, 40001, 40, "OUT"));
    flushAll();
    const f = records(take())[0];
    expect<string>(field(f, "related.ip")).toBe('["10.0.0.5"]');
  });
  it("Nx lines count N packets and N × PLEN bytes", () => {
    init();
    feed(stamp(0) + " 3x em0 @0:1 p 10.0.0.5,49152 -> 93.184.216.34,443 PR tcp len 20 88 -AP K-S OUT");
    flushAll();
    const f = records(take())[0];
    expect<string>(field(f, "source.packets")).toBe("3");
    expect<string>(field(f, "source.bytes")).toBe("264");
    expect<string>(field(f, "ipmon.lines")).toBe("1");
  });
  it("a short TCP packet (Sb) is its own portless flow, denied", () => {
    init();
    feed(stamp(0) + " em0 @0:1 Sb 203.0.113.200 -> 10.0.0.5 PR tcp len 20 28 IN");
    flushAll();
    const f = records(take())[0];
    expect<bool>(f.indexOf('"port"') < 0).toBe(true);
    expect<string>(field(f, "network.bytes")).toBe("28");
    expect<string>(field(f, "ipmon.action")).toBe("block");
    expect<string>(field(f, "event.type")).toBe('["connection","end","denied"]');
    expect<string>(field(f, "ipmon.conn_state")).toBe("OTH");
  });
  it("non-first fragments are counted in their first fragment's flow (C26-C28)", () => {
    init();
    feed(stamp(0) + " e1000g0 @0:10 p 10.50.1.60,2049 -> 10.50.12.32,1023 PR udp len 20 1500 K-F IN");
    feed(stamp(14) + " e1000g0 @0:10 p 10.50.1.60 -> 10.50.12.32 PR udp len 20 (1500) (frag 48879:1480@1480+) K-F IN");
    feed(stamp(28) + " e1000g0 @0:10 p 10.50.1.60 -> 10.50.12.32 PR udp len 20 (596) (frag 48879:576@2960) K-F IN");
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    expect<string>(field(r[0], "source.port")).toBe("2049");
    expect<string>(field(r[0], "source.packets")).toBe("3");
    expect<string>(field(r[0], "source.bytes")).toBe("3596");
    expect<string>(field(r[0], "ipmon.lines")).toBe("3");
    expect<string>(field(r[0], "event.end")).toBe("2024-03-03T11:00:00.000028Z");
  });
  it("a fragment whose first fragment was not seen (or was small) is its own port-less flow", () => {
    init();
    feed(stamp(0) + " e1000g0 @0:10 p 10.50.1.60,2049 -> 10.50.12.32,1023 PR udp len 20 500 K-F IN");
    feed(stamp(14) + " e1000g0 @0:10 p 10.50.1.60 -> 10.50.12.32 PR udp len 20 (300) (frag 1:280@480) K-F IN");
    feed(stamp(20) + " e1000g0 @0:10 p 10.50.1.61 -> 10.50.12.32 PR udp len 20 (1500) (frag 2:1480@1480+) K-F IN");
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(3);
    expect<string>(field(r[1], "network.bytes")).toBe("300");
    expect<bool>(r[1].indexOf('"port"') < 0).toBe(true);
    expect<string>(field(r[2], "source.ip")).toBe("10.50.1.61");
  });
  it("other protocols: a GRE flow in both directions, transport gre", () => {
    init();
    feed(stamp(0) + " em0 @0:1 p 10.0.0.5 -> 10.0.0.1 PR gre len 20 (100) OUT");
    feed(stamp(10) + " em0 @0:1 p 10.0.0.1 -> 10.0.0.5 PR gre len 20 (120) IN");
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    expect<string>(field(r[0], "network.transport")).toBe("gre");
    expect<string>(field(r[0], "network.bytes")).toBe("220");
    expect<string>(field(r[0], "network.community_id")).toBe("1:zWPGky/xuOL52zDwcjgUeHLy13Q=");
  });
});

describe("processLine: lines that are not flow packets", () => {
  it("STATE lines are forwarded with their kind, NAT too", () => {
    init();
    feed("Jul 26 09:14:10 sol1 ipmon[137]: [ID 702911 local0.info] 09:14:09.770512 STATE:CLOSE 10.50.13.77,50514 -> 10.50.12.32,22 PR tcp Forward: Pkts in 7 Bytes in 480 Pkts out 0 Bytes out 0 Backward: Pkts in 0 Bytes in 0 Pkts out 2 Bytes out 112");
    feed("26/07/2024 09:30:00.118273 @1 NAT:MAP 192.168.10.21,51514 <- -> 203.0.113.5,40012 [198.51.100.53,53]");
    const r = records(take());
    expect<i32>(r.length).toBe(2);
    expect<string>(field(r[0], "ipmon.record_type")).toBe("state");
    expect<string>(field(r[0], "ipmon.kind")).toBe("STATE:CLOSE");
    expect<string>(field(r[0], "event.kind")).toBe("event");
    expect<string>(field(r[0], "observer.hostname")).toBe("sol1");
    expect<string>(field(r[0], "@timestamp")).toBe("2024-07-26T09:14:09.770512Z");
    expect<string>(field(r[1], "ipmon.record_type")).toBe("nat");
    expect<string>(field(r[1], "ipmon.kind")).toBe("NAT:MAP");
  });
  it("unparsed lines become pipeline errors with the reason; the message is the raw line", () => {
    init();
    feed('hello "world"');
    const f = records(take())[0];
    expect<string>(field(f, "event.kind")).toBe("pipeline_error");
    expect<string>(field(f, "ipmon.record_type")).toBe("unparsed");
    expect<string>(field(f, "error.message")).toBe("no ipmon timestamp (HH:MM:SS.uuuuuu) where one was expected");
    expect<bool>(f.indexOf('"message":"hello \\"world\\""') >= 0).toBe(true);
  });
  it("a packet line that cannot be keyed (B12) is forwarded as a 'packet' error", () => {
    init();
    feed("Mar  3 11:21:09 fw1 ipmon[812]: 11:21:09.600006 em0 @0:24 p fw1.example.net,ssh -> 198.51.100.7,50222 PR tcp len 20 52 -A K-S OUT");
    const f = records(take())[0];
    expect<string>(field(f, "ipmon.record_type")).toBe("packet");
    expect<string>(field(f, "event.kind")).toBe("pipeline_error");
  });
  it("blank lines write nothing", () => {
    init();
    feed("");
    feed("   ");
    expect<string>(take()).toBe("");
  });
});

describe("counters and writeStats", () => {
  it("account for every line", () => {
    init();
    conversation(0);
    feed("");
    feed("Mar  3 11:00:02 fw1 ipmon[812]: missed 3 ipf log entries: 10452 10455");
    feed("nonsense");
    feed("01 02 03 04 05 06 07 08 09 0a 0b 0d 0e 0f 40 61        ..............@a");
    feed("03/03/2024 11:00:03.000000 @1 NAT:MAP 192.168.10.21,51514 <- -> 203.0.113.5,40012 [198.51.100.53,53]");
    expect<u64>(counters.linesRead).toBe(14);
    expect<u64>(counters.blankLines).toBe(1);
    expect<u64>(counters.packetLines).toBe(9);
    expect<u64>(counters.flowLines).toBe(9);
    expect<u64>(counters.missedLines).toBe(1);
    expect<u64>(counters.missedEntries).toBe(3);
    expect<u64>(counters.unparsedLines).toBe(1);
    expect<u64>(counters.hexLines).toBe(1);
    expect<u64>(counters.natLines).toBe(1);
    expect<u64>(counters.otherLines).toBe(3);
    expect<u64>(counters.packetsIn).toBe(9);
    expect<u64>(counters.bytesIn).toBe(2449);
    take();
    writeStats();
    const s = records(take())[0];
    expect<string>(field(s, "ipmon.record_type")).toBe("stats");
    expect<string>(field(s, "ipmon.stats.lines_read")).toBe("14");
    expect<string>(field(s, "ipmon.stats.flows_open")).toBe("1");
    expect<string>(field(s, "ipmon.stats.flows_emitted")).toBe("0");
    expect<string>(field(s, "ipmon.stats.missed_entries")).toBe("3");
    expect<string>(field(s, "ipmon.stats.table_capacity")).toBe("1024");
  });
  it("a full table evicts the least recently seen flow (lack_of_resources), never drops it", () => {
    init('{"capacity":16}');
    for (let i = 0; i < 17; i++) feed(udp(<i64>i * 1000, CLIENT, 40000 + i, "10.0.0.53", 53, 62, "OUT"));
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    expect<string>(field(r[0], "ipmon.end_reason")).toBe("lack_of_resources");
    expect<string>(field(r[0], "source.port")).toBe("40000");
    expect<u64>(counters.evictions).toBe(1);
    flushAll();
    expect<i32>(records(take()).length).toBe(16);
  });
  it("active_timeout splits a long flow into a report and a continued record", () => {
    init('{"active_timeout":10}');
    feed(udp(0, CLIENT, 53011, "10.0.0.53", 53, 62, "OUT"));
    feed(udp(5 * SEC, CLIENT, 53011, "10.0.0.53", 53, 62, "OUT"));
    feed(udp(10 * SEC, CLIENT, 53011, "10.0.0.53", 53, 62, "OUT"));
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    expect<string>(field(r[0], "event.type")).toBe('["connection","allowed"]');
    expect<string>(field(r[0], "event.reason")).toBe("active_timeout");
    expect<string>(field(r[0], "source.packets")).toBe("2");
    flushAll();
    const s = records(take())[0];
    expect<string>(field(s, "ipmon.continued")).toBe("true");
    expect<string>(field(s, "source.packets")).toBe("1");
    expect<string>(field(s, "event.start")).toBe("2024-03-03T11:00:10.000000Z");
  });
  it("a packet count past a slot's u32 goes on in a continued record, nothing lost", () => {
    init();
    const big = " 2147483647x em0 @0:1 p 10.0.0.5,49152 -> 93.184.216.34,443 PR tcp len 20 40 -A K-S OUT";
    feed(stamp(0) + big);
    feed(stamp(1) + big); // 4,294,967,294: still fits
    expect<i32>(records(take()).length).toBe(0);
    feed(stamp(2) + " 2x em0 @0:1 p 10.0.0.5,49152 -> 93.184.216.34,443 PR tcp len 20 40 -A K-S OUT");
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    expect<string>(field(r[0], "event.reason")).toBe("active_timeout");
    expect<string>(field(r[0], "source.packets")).toBe("4294967294");
    expect<string>(field(r[0], "source.bytes")).toBe("171798691760");
    expect<string>(field(r[0], "ipmon.lines")).toBe("2");
    flushAll();
    const c = records(take())[0];
    expect<string>(field(c, "ipmon.continued")).toBe("true");
    expect<string>(field(c, "source.packets")).toBe("2");
    expect<string>(field(c, "ipmon.lines")).toBe("1");
    expect<u64>(counters.packetsIn).toBe(4294967296);
  });
});

/** A file-mode line at `off`: "IF @0:1 p BODY DIR". */
function fileLine(off: i64, body: string, dir: string): string {
  return stamp(off) + " em0 @0:1 p " + body + " " + dir;
}

describe("retried SYNs", () => {
  it("Linux's backoff (1, 2, 4, 8, 16, 32 s) is one attempt, reported twice the last gap plus 5 s after it", () => {
    init();
    const at: i64[] = [0, 1, 3, 7, 15, 31, 63];
    for (let i = 0; i < at.length; i++) feed(c2s(at[i] * SEC, 60, "S"));
    expect<string>(take()).toBe("");
    advanceClock(T0 + (63 + 69) * SEC - 1);
    expect<string>(take()).toBe("");
    advanceClock(T0 + (63 + 69) * SEC);
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    expect<string>(field(r[0], "source.packets")).toBe("7");
    expect<string>(field(r[0], "ipmon.conn_state")).toBe("S0");
    expect<string>(field(r[0], "event.duration")).toBe((63 * SEC * 1000).toString());
  });
  it("Windows' retries after 3 and 6 s are one attempt", () => {
    init();
    feed(c2s(0, 60, "S"));
    feed(c2s(3 * SEC, 60, "S"));
    feed(c2s(9 * SEC, 60, "S"));
    // the 6 s gap is backoff level 8 s: reported 16 + 5 s after the last SYN
    advanceClock(T0 + 30 * SEC - 1);
    expect<string>(take()).toBe("");
    advanceClock(T0 + 30 * SEC);
    expect<string>(field(records(take())[0], "source.packets")).toBe("3");
  });
  it("a SYN-ACK that finally answers the retries joins the attempt", () => {
    init();
    feed(c2s(0, 60, "S"));
    feed(c2s(1 * SEC, 60, "S"));
    feed(c2s(3 * SEC, 60, "S"));
    feed(s2c(3 * SEC + 30000, 60, "AS"));
    feed(c2s(3 * SEC + 31000, 52, "A"));
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    expect<string>(field(r[0], "ipmon.history")).toBe("ShA");
    expect<string>(field(r[0], "ipmon.conn_state")).toBe("S1");
    expect<string>(field(r[0], "source.packets")).toBe("4");
  });
  it("syn_retry zeek: the attempt ends tcp_attempt_timeout after its first SYN; a later retry is a new flow", () => {
    init('{"syn_retry":"zeek"}');
    feed(c2s(0, 60, "S"));
    feed(c2s(3 * SEC, 60, "S"));
    advanceClock(T0 + 5 * SEC);
    const first = records(take());
    expect<i32>(first.length).toBe(1);
    expect<string>(field(first[0], "source.packets")).toBe("2");
    feed(c2s(9 * SEC, 60, "S"));
    flushAll();
    const second = records(take());
    expect<string>(field(second[0], "event.start")).toBe("2024-03-03T11:00:09.000000Z");
  });
});

describe("ICMP errors", () => {
  it("stay counted in their own ICMP flow; the quoted flow notes how many and the last type/code", () => {
    init();
    feed(udp(0, CLIENT, 40123, "10.0.0.53", 53, 60, "OUT"));
    feed(fileLine(1000, "10.0.0.53 -> " + CLIENT + " PR icmp len 20 88 icmp unreach/port for " + CLIENT + ",40123 - 10.0.0.53,53 PR udp len 20 60", "IN"));
    feed(fileLine(2000, "10.0.0.53 -> " + CLIENT + " PR icmp len 20 88 icmp unreach/10 for " + CLIENT + ",40123 - 10.0.0.53,53 PR udp len 20 60", "IN"));
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(3); // the UDP flow and two one-way ICMP flows (unreach/port, unreach/10)
    let udpFlow = "";
    let icmpPackets = 0;
    for (let i = 0; i < r.length; i++) {
      if (field(r[i], "network.transport") == "udp") udpFlow = r[i];
      else icmpPackets += I32.parseInt(field(r[i], "network.packets"));
    }
    expect<i32>(icmpPackets).toBe(2);
    expect<string>(field(udpFlow, "ipmon.icmp_error")).toBe('{"count":2,"type":"unreach","code":"10"}');
    expect<string>(field(udpFlow, "network.packets")).toBe("1");
  });
  it("a quoted ICMP echo (traceroute's time exceeded) finds the echo flow by its type", () => {
    init();
    feed(fileLine(0, CLIENT + " -> 198.51.100.1 PR icmp len 20 84 icmp echo/0", "OUT"));
    feed(fileLine(500, "192.0.2.254 -> " + CLIENT + " PR icmp len 20 56 icmp timxceed/transit for " + CLIENT + " - 198.51.100.1 PR icmp len 20 84 icmp 8/0", "IN"));
    flushAll();
    const r = records(take());
    expect<string>(field(r[0], "ipmon.icmp_error")).toBe('{"count":1,"type":"timxceed","code":"transit"}');
  });
  it("an error quoting no open flow changes nothing else", () => {
    init();
    feed(fileLine(0, "10.0.0.53 -> " + CLIENT + " PR icmp len 20 88 icmp unreach/port for " + CLIENT + ",40123 - 10.0.0.53,53 PR udp len 20 60", "IN"));
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(1);
    expect<bool>(r[0].includes("icmp_error")).toBe(false);
  });
});

describe("fragments through the engine", () => {
  it("tails go to their own datagram's flow, not to the latest large packet between the hosts", () => {
    init();
    const resolver = "198.51.100.53";
    // two responses to two queries, first fragments in the same microsecond, then both tails
    feed(fileLine(0, resolver + ",443 -> " + CLIENT + ",50001 PR udp len 20 1500", "IN"));
    feed(fileLine(0, resolver + ",443 -> " + CLIENT + ",50002 PR udp len 20 1500", "IN"));
    feed(fileLine(20, resolver + " -> " + CLIENT + " PR udp len 20 (320) (frag 4001:300@1480)", "IN"));
    feed(fileLine(21, resolver + " -> " + CLIENT + " PR udp len 20 (120) (frag 4002:100@1480)", "IN"));
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(2);
    expect<string>(field(r[0], "source.port")).toBe("50001");
    expect<string>(field(r[0], "network.bytes")).toBe("1820");
    expect<string>(field(r[1], "network.bytes")).toBe("1620");
  });
});

describe("network.direction", () => {
  it("from local_networks: outbound here; none without local_networks", () => {
    init('{"local_networks":["10.0.0.0/8"]}');
    conversation(0);
    flushAll();
    expect<string>(field(records(take())[0], "network.direction")).toBe("outbound");
    init();
    conversation(0);
    flushAll();
    expect<string>(field(records(take())[0], "network.direction")).toBe("<missing network.direction>");
  });
  it("a logging host's own local_networks; named groups", () => {
    init('{"local_networks":["private"],"observers":{"fw1":{"local_networks":["93.184.216.0/24"]}}}');
    feed("Mar  3 11:00:00 fw1 ipmon[1]: 11:00:00.000000 em0 @0:1 p 10.0.0.5,5000 -> 93.184.216.34,443 PR tcp len 20 60 -S OUT");
    feed(c2s(SEC, 60, "S"));
    feed("Mar  3 11:00:02 fw2 ipmon[1]: 11:00:02.000000 em0 @0:1 p 198.51.100.5,5000 -> 93.184.216.34,443 PR tcp len 20 60 -S OUT");
    flushAll();
    const r = records(take());
    expect<i32>(r.length).toBe(3);
    for (let i = 0; i < 3; i++) {
      const host = field(r[i], "observer.hostname");
      const d = field(r[i], "network.direction");
      if (host == "fw1") expect<string>(d).toBe("inbound"); // its own list: only the server is local
      else if (host == "fw2") expect<string>(d).toBe("external"); // top-level "private": neither is
      else expect<string>(d).toBe("outbound"); // file mode: top-level, the client is private
    }
  });
});
