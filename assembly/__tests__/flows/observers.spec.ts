// observers.ts and the engine's per-host clocks: several firewalls in one stream.
import { advanceClock, counters, engineClock, flushAll, hostClock } from "../../engine";
import { MAX_HOSTS, NO_HOST, hostFor, observerAt, observersInit, observersUsed } from "../../flows/observers";
import { intern } from "../../flows/intern";
import { feed, init, take } from "../support";

const SEC: i64 = 1000000;
const T0: i64 = 1709460000000000; // 2024-03-03T10:00:00Z

/** A UDP line of host `host` at hh:mm:ss (its own local clock), source port `port`. */
function udp(host: string, hms: string, port: i32): string {
  return "Mar  3 " + hms + " " + host + " ipmon[1]: " + hms + ".000000 em0 @0:1 p 10.0.0.1," + port.toString() +
    " -> 10.0.0.2,53 PR udp len 20 60 IN";
}

/** The syslog header and ipmon time of host `host` at T0 + us (10:00:ss.uuuuuu). */
function at(host: string, us: i64): string {
  const sec = <i32>(us / SEC);
  let frac = (us % SEC).toString();
  while (frac.length < 6) frac = "0" + frac;
  const hms = "10:00:" + (sec < 10 ? "0" : "") + sec.toString();
  return "Mar  3 " + hms + " " + host + " ipmon[1]: " + hms + "." + frac + " ";
}

function udpAt(host: string, us: i64, port: i32): string {
  return at(host, us) + "em0 @0:1 p 10.0.0.1," + port.toString() + " -> 10.0.0.2,53 PR udp len 20 60 IN";
}

function count(out: string, s: string): i32 {
  let n = 0;
  let i = out.indexOf(s);
  while (i >= 0) {
    n++;
    i = out.indexOf(s, i + 1);
  }
  return n;
}

describe("hostFor", () => {
  it("hands out slots in order; the empty name is slot 0; a full table gives NO_HOST", () => {
    init();
    observersInit();
    expect<u32>(hostFor(0)).toBe(0);
    const a = intern(changetype<usize>(String.UTF8.encode("slot-a")), 6, true);
    const s = hostFor(a);
    expect<u32>(s).toBe(1);
    expect<u32>(hostFor(a)).toBe(1);
    expect<u16>(observerAt(s).nameId).toBe(a);
    for (let i: u32 = 2; i < MAX_HOSTS; i++) hostFor(<u16>(a + i)); // other ids, whatever their names
    expect<u32>(observersUsed()).toBe(MAX_HOSTS);
    expect<u32>(hostFor(<u16>(a + MAX_HOSTS + 5))).toBe(NO_HOST);
    expect<u32>(hostFor(0xffff)).toBe(NO_HOST);
  });
});

describe("per-host clocks", () => {
  it("two firewalls hours apart neither expire nor freeze each other's flows", () => {
    init();
    // fw-a logs UTC, fw-b's clock reads three hours later (no utc_offset configured for it)
    feed(udp("fw-a", "10:00:00", 1000));
    feed(udp("fw-b", "13:00:00", 2000));
    feed(udp("fw-a", "10:00:30", 1001));
    feed(udp("fw-b", "13:00:30", 2001));
    expect<string>(take()).toBe(""); // neither host's lines expired the other's flows
    expect<u64>(counters.clockOutliers).toBe(0);
    expect<u64>(counters.clockSteps).toBe(0);
    // a minute later on both: the first flow of each expires, on its own clock
    feed(udp("fw-a", "10:01:00", 1002));
    feed(udp("fw-b", "13:01:00", 2002));
    const out = take();
    expect<i32>(count(out, '"reason":"idle_timeout"')).toBe(2);
    expect<i32>(count(out, '"port":1000')).toBe(1);
    expect<i32>(count(out, '"port":2000')).toBe(1);
  });
  it("a quiet host's clock follows the stream: its flows end as time passes on the others' lines", () => {
    init();
    feed(udp("fw-a", "10:00:00", 1000));
    feed(udp("fw-b", "13:00:00", 2000)); // three hours ahead
    feed(udp("fw-a", "10:00:10", 1001));
    // fw-b goes quiet; fw-a's lines move the stream on
    feed(udp("fw-a", "10:01:00", 1002));
    const out = take();
    expect<i32>(count(out, '"port":2000')).toBe(1);
    expect<i32>(count(out, '"port":1000')).toBe(1);
    expect<i64>(hostClock(observerAt(2))).toBe(T0 + 3 * 3600 * SEC + 60 * SEC);
  });
  it("a host placed behind the stream is not expired by it (a relay that delivers it late)", () => {
    init();
    feed(udp("fw-a", "10:00:20", 1000));
    feed(udp("fw-b", "10:00:00", 2000)); // 20 s behind: its own offset
    feed(udp("fw-a", "10:01:05", 1001)); // fw-b's clock: 10:00:45, its flow (deadline 10:01:00) stays
    expect<string>(take()).toBe("");
    feed(udp("fw-a", "10:01:21", 1002)); // fw-b's clock: 10:01:01
    const out = take();
    expect<i32>(count(out, '"port":2000')).toBe(1);
    expect<i32>(count(out, '"port":1000')).toBe(1);
  });
  it("a relay's batches (two hosts by turns 80 ms behind) do not ratchet the stream ahead", () => {
    init();
    feed(at("fw-a", 0) + "em0 @0:1 p 10.0.0.9,40000 -> 198.51.100.2,443 PR tcp len 20 60 -S IN");
    let port = 3000;
    for (let k = 0; k < 29; k++) {
      const first = k % 2 == 1 ? "fw-b" : "fw-c";
      const second = k % 2 == 1 ? "fw-c" : "fw-b";
      const base: i64 = 10000 + <i64>k * 100000;
      feed(udpAt(first, base + 85000, port++));
      feed(udpAt(first, base + 90000, port++));
      feed(udpAt(second, base + 5000, port++));
      feed(udpAt(second, base + 95000, port++));
    }
    // fw-a's clock followed the stream: still before its attempt's deadline (5 s)
    expect<i64>(engineClock() < T0 + 3 * SEC).toBe(true);
    feed(at("fw-a", 3 * SEC) + "em0 @0:1 p 10.0.0.9,40000 -> 198.51.100.2,443 PR tcp len 20 60 -S IN");
    flushAll();
    expect<i32>(count(take(), '"port":40000')).toBe(1);
  });
  it("max_clock_step is per host: one host's wild line moves neither its clock nor another's", () => {
    init();
    feed(udp("fw-a", "10:00:00", 1000));
    feed(udp("fw-b", "10:00:01", 2000));
    feed(udp("fw-b", "23:00:00", 2001)); // a lone outlier
    expect<u64>(counters.clockOutliers).toBe(1);
    feed(udp("fw-a", "10:00:30", 1001));
    feed(udp("fw-b", "10:00:31", 2002));
    expect<string>(take()).toBe("");
    expect<i64>(engineClock()).toBe(T0 + 31 * SEC);
  });
  it("advanceClock moves every host's clock by the quiet time, each at its offset", () => {
    init();
    feed(udp("fw-a", "10:00:00", 1000));
    feed(udp("fw-b", "13:00:00", 2000));
    advanceClock(T0 + 59 * SEC);
    expect<string>(take()).toBe("");
    advanceClock(T0 + 60 * SEC);
    const out = take();
    expect<i32>(count(out, '"reason":"idle_timeout"')).toBe(2);
    flushAll();
  });
  it("a host's own utc_offset (observers) places its lines on one time base with the others", () => {
    init('{"observers":{"fw-b":{"utc_offset":"+03:00"}}}');
    feed(udp("fw-a", "10:00:00", 1000));
    feed(udp("fw-b", "13:00:00", 2000));
    flushAll();
    const out = take();
    expect<i32>(count(out, '"start":"2024-03-03T10:00:00.000000Z"')).toBe(2);
  });
  it("more logging hosts than slots: their packet lines are kept apart as uncorrelated, never merged", () => {
    init();
    for (let i: u32 = 0; i < MAX_HOSTS + 3; i++) feed(udp("host" + i.toString(), "10:00:00", 1000));
    expect<u64>(counters.flowLines).toBe(<u64>MAX_HOSTS - 1);
    expect<u64>(counters.uncorrelatedLines).toBe(4);
  });
});
