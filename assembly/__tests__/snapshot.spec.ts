import { packetKeyPtr } from "../flows/hash";
import { applyConfig } from "../config";
import { engineInit, processLine, advanceClock, flushAll, engineClock, writeStats, counters } from "../engine";
import { hashBytes } from "../flows/intern";
import { DATE_CONTEXT_SIZE } from "../parse/line";
import { outReset, outPtr, outLen, MODE_NDJSON } from "../records/output";
import { FLOW_RECORD, writeSnapshot, writeSnapshotSome, snapshotCancel, snapshotSize, snapshotUnderWay, restoreSnapshot, snapshotError } from "../snapshot";
import { DEFAULTS, feed, init, take } from "./support";

const BUF = memory.data(2048);
const T0: i64 = 1709463600000000; // 2024-03-03T11:00:00Z
const SEC: i64 = 1000000;
/** Header (40) + date context + counters (20 × u64). */
const FIXED: usize = 56 + <usize>DATE_CONTEXT_SIZE + 24 * 8;





function lines(s: string): i32 {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) == 0x0a) n++;
  return n;
}

/** A copy of the snapshot blob in spec-owned memory (the output buffer is reused). */
class Blob {
  constructor(public ptr: usize, public len: usize) {}
}

function snapshot(): Blob {
  outReset(MODE_NDJSON);
  writeSnapshot();
  const n = <usize>outLen();
  const p = heap.alloc(n);
  memory.copy(p, outPtr(), n);
  outReset(MODE_NDJSON);
  return new Blob(p, n);
}

/** Recomputes the trailing checksum after a deliberate edit. */
function reseal(b: Blob): void {
  store<u32>(b.ptr + b.len - 4, hashBytes(b.ptr, <i32>(b.len - 4)));
}

/** A mix of open flows: closing TCP, TCP mid-handshake, UDP, ICMP, from two observers. */
function traffic(): void {
  feed("Mar  3 11:00:00 fw1 ipmon[1]: 11:00:00.000000 em0 @0:1 p 10.0.0.5,49152 -> 93.184.216.34,443 PR tcp len 20 60 -S K-S OUT");
  feed("Mar  3 11:00:00 fw1 ipmon[1]: 11:00:00.020000 em0 @0:1 p 93.184.216.34,443 -> 10.0.0.5,49152 PR tcp len 20 60 -AS K-S IN");
  feed("Mar  3 11:00:00 fw1 ipmon[1]: 11:00:00.021000 em0 @0:1 p 10.0.0.5,49152 -> 93.184.216.34,443 PR tcp len 20 52 -A K-S OUT");
  feed("Mar  3 11:00:00 fw1 ipmon[1]: 11:00:00.022000 em0 @0:1 p 10.0.0.5,49152 -> 93.184.216.34,443 PR tcp len 20 569 -AP K-S OUT");
  feed("Mar  3 11:00:01 fw2 ipmon[9]: 11:00:01.000000 em1 @0:2 p 10.0.0.5,53011 -> 10.0.0.53,53 PR udp len 20 62 K-S OUT");
  feed("Mar  3 11:00:01 fw2 ipmon[9]: 11:00:01.001000 em1 @0:2 p 10.0.0.53,53 -> 10.0.0.5,53011 PR udp len 20 178 K-S IN");
  feed("Mar  3 11:00:02 fw1 ipmon[1]: 11:00:02.000000 em0 @0:7 p 10.0.0.5 -> 10.0.0.1 PR icmp len 20 84 icmp echo/0 K-S OUT");
  feed("Mar  3 11:00:02 fw1 ipmon[1]: 11:00:02.500000 em0 @0:1 p 10.0.0.5,49200 -> 93.184.216.34,443 PR tcp len 20 60 -S K-S OUT");
  feed("Mar  3 11:00:02 fw1 ipmon[1]: 11:00:02.600000 em0 @0:1 p 10.0.0.5,49201 -> 93.184.216.34,443 PR tcp len 20 60 -S K-S OUT");
  feed("Mar  3 11:00:02 fw1 ipmon[1]: 11:00:02.610000 em0 @0:1 p 93.184.216.34,443 -> 10.0.0.5,49201 PR tcp len 20 40 -AR K-S IN");
}

describe("writeSnapshot", () => {
  it("writes the magic, version, layout guards, counts and clock", () => {
    init();
    traffic();
    take();
    const b = snapshot();
    expect<u64>(load<u64>(b.ptr)).toBe(0x50414e5346504d49); // "IPMFSNAP"
    expect<u8>(load<u8>(b.ptr)).toBe(0x49);                  // 'I'
    expect<u32>(load<u32>(b.ptr, 8)).toBe(4);
    expect<u32>(load<u32>(b.ptr, 12)).toBe(FLOW_RECORD);
    expect<u32>(load<u32>(b.ptr, 16)).toBe(24 * 8);
    expect<u32>(load<u32>(b.ptr, 24)).toBe(5);               // open flows
    expect<u32>(load<u32>(b.ptr, 28)).toBe(2);               // logging hosts with open flows
    expect<i64>(load<i64>(b.ptr, 32)).toBe(engineClock());
    expect<i32>(memory.compare(b.ptr + 40, packetKeyPtr(), 16)).toBe(0); // the hash key
    expect<u32>(load<u32>(b.ptr + b.len - 4)).toBe(hashBytes(b.ptr, <i32>(b.len - 4)));
    // size: fixed part, names, 2 hosts of 32 bytes, 5 slots, the packets whose other lines may
    // still come (72 bytes each: the 3 lines within pair_window of their host's clock, at
    // 2.5, 2.6 and 2.61 s), no datagram waiting for a fragment, checksum
    const names = load<u32>(b.ptr, 20);
    let p = b.ptr + FIXED;
    for (let i: u32 = 1; i < names; i++) p += 2 + <usize>load<u16>(p);
    p += 2 * 32 + 5 * <usize>FLOW_RECORD;
    expect<u32>(load<u32>(p)).toBe(3);
    expect<u32>(load<u32>(p + 4 + 3 * 72)).toBe(0);
    expect<usize>(b.len).toBe(p - b.ptr + 4 + 3 * 72 + 4 + 4);
  });
  it("an empty engine gives a blob with no flows", () => {
    init();
    const b = snapshot();
    expect<u32>(load<u32>(b.ptr, 24)).toBe(0);
    init();
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(true);
    flushAll();
    expect<string>(take()).toBe("");
  });
  it("appends to what is already in the output", () => {
    init();
    traffic();
    take();
    const a = snapshot();
    outReset(MODE_NDJSON);
    writeStats();
    const before = <usize>outLen();
    writeSnapshot();
    expect<usize>(<usize>outLen() - before).toBe(a.len);
    expect<i32>(memory.compare(outPtr() + before, a.ptr, a.len)).toBe(0);
  });
});

describe("restoreSnapshot", () => {
  it("a restored engine reports exactly what the original would have", () => {
    init();
    traffic();
    take();
    const b = snapshot();
    writeStats();
    const expectedStats = take();
    flushAll();
    const expected = take();
    init();
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(true);
    expect<string>(snapshotError()).toBe("");
    expect<i64>(engineClock()).toBe(T0 + 2610000);
    expect<u64>(counters.linesRead).toBe(10);
    expect<u64>(counters.bytesIn).toBe(60 + 60 + 52 + 569 + 62 + 178 + 84 + 60 + 60 + 40);
    expect<string>(take()).toBe(""); // nothing evicted
    writeStats();
    const restoredStats = take();
    flushAll();
    const got = take();
    expect<i32>(lines(got)).toBe(5);
    expect<string>(got).toBe(expected);
    expect<string>(restoredStats).toBe(expectedStats);
  });
  it("flows carry on after a restore: the conversation completes as SF ShADadFf", () => {
    init();
    traffic();
    take();
    const b = snapshot();
    init();
    restoreSnapshot(b.ptr, b.len);
    feed("Mar  3 11:00:03 fw1 ipmon[1]: 11:00:03.000000 em0 @0:1 p 93.184.216.34,443 -> 10.0.0.5,49152 PR tcp len 20 52 -A K-S IN");
    feed("Mar  3 11:00:03 fw1 ipmon[1]: 11:00:03.010000 em0 @0:1 p 93.184.216.34,443 -> 10.0.0.5,49152 PR tcp len 20 900 -AP K-S IN");
    feed("Mar  3 11:00:04 fw1 ipmon[1]: 11:00:04.000000 em0 @0:1 p 10.0.0.5,49152 -> 93.184.216.34,443 PR tcp len 20 52 -AF K-S OUT");
    feed("Mar  3 11:00:04 fw1 ipmon[1]: 11:00:04.010000 em0 @0:1 p 93.184.216.34,443 -> 10.0.0.5,49152 PR tcp len 20 52 -AF K-S IN");
    take();
    advanceClock(T0 + 9010000);
    const out = take();
    expect<bool>(out.indexOf('"history":"ShADadFf"') >= 0).toBe(true);
    expect<bool>(out.indexOf('"conn_state":"SF"') >= 0).toBe(true);
    expect<bool>(out.indexOf('"observer":{"hostname":"fw1"') >= 0).toBe(true);
  });
  it("timers resume: the restored UDP flow expires 60 s after its last packet", () => {
    init();
    traffic();
    take();
    const b = snapshot();
    init();
    restoreSnapshot(b.ptr, b.len);
    advanceClock(T0 + 61001000 - 1);
    const early = take();
    expect<bool>(early.indexOf('"transport":"udp"') < 0).toBe(true);
    advanceClock(T0 + 61001000);
    const out = take();
    expect<bool>(out.indexOf('"transport":"udp"') >= 0).toBe(true);
    expect<bool>(out.indexOf('"reason":"idle_timeout"') >= 0).toBe(true);
  });
  it("restores the learnt date context (syslog year after a Dec -> Jan wrap)", () => {
    init();
    feed("Dec 31 23:59:58 fw1 ipmon[1]: 23:59:58.000000 em0 @0:1 p 10.0.0.5,1 -> 10.0.0.6,2 PR udp len 20 28 OUT");
    feed("Jan  1 00:00:01 fw1 ipmon[1]: 00:00:01.000000 em0 @0:1 p 10.0.0.5,3 -> 10.0.0.6,4 PR udp len 20 28 OUT");
    take();
    const b = snapshot();
    init();
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(true);
    take();
    feed("Jan  1 00:00:05 fw1 ipmon[1]: 00:00:05.000000 em0 @0:1 p 10.0.0.5,5 -> 10.0.0.6,6 PR udp len 20 28 OUT");
    flushAll();
    const out = take();
    expect<bool>(out.indexOf('"start":"2025-01-01T00:00:05.000000Z"') >= 0).toBe(true);
  });
  it("names are stored as text and re-interned on load", () => {
    init();
    traffic();
    take();
    const b = snapshot();
    // rename observer "fw2" to "fwX" inside the blob: flows keyed on it must follow the text
    const names = load<u32>(b.ptr, 20);
    let p = b.ptr + FIXED;
    let renamed = false;
    for (let i: u32 = 1; i < names; i++) {
      const n = <usize>load<u16>(p);
      if (n == 3 && load<u8>(p + 2) == 0x66 && load<u8>(p + 3) == 0x77 && load<u8>(p + 4) == 0x32) {
        store<u8>(p + 4, 0x58);
        renamed = true;
      }
      p += 2 + n;
    }
    expect<bool>(renamed).toBe(true);
    reseal(b);
    init();
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(true);
    flushAll();
    const out = take();
    expect<bool>(out.indexOf('"hostname":"fwX"') >= 0).toBe(true);
    expect<bool>(out.indexOf('"hostname":"fw2"') < 0).toBe(true);
  });
  it("flows beyond a smaller capacity are reported as evicted (lack_of_resources)", () => {
    init();
    for (let i = 0; i < 20; i++) {
      feed("03/03/2024 11:00:" + (i < 10 ? "0" : "") + i.toString() + ".000000 em0 @0:2 p 10.0.0.5," + (40000 + i).toString() +
        " -> 10.0.0.53,53 PR udp len 20 62 K-S OUT");
    }
    take();
    const b = snapshot();
    init('{"capacity":16}');
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(true);
    const evicted = take();
    expect<i32>(lines(evicted)).toBe(4);
    expect<bool>(evicted.indexOf('"reason":"lack_of_resources"') >= 0).toBe(true);
    expect<bool>(evicted.indexOf('"port":40000') >= 0).toBe(true);
    expect<u64>(counters.evictions).toBe(4);
    flushAll();
    expect<i32>(lines(take())).toBe(16);
  });
});

/** Number of open flows, found by flushing a copy of the state (snapshot, flush, restore). */
function openFlows(): i32 {
  const b = snapshot();
  flushAll();
  const n = lines(take());
  engineInit();
  restoreSnapshot(b.ptr, b.len);
  take();
  return n;
}

describe("restoreSnapshot: lines of one packet", () => {
  it("a packet's other lines still fold after a restore (TCP, ICMP, a port-less fragment)", () => {
    // a router: each packet logged IN on em0, then OUT on em1; the snapshot falls between
    init('{"device":"router"}');
    feed("03/03/2024 11:00:00.000000 em0 @0:1 p 10.0.0.5,49152 -> 93.184.216.34,443 PR tcp len 20 60 -S K-S IN");
    feed("03/03/2024 11:00:00.000010 em0 @0:7 p 10.0.0.5 -> 93.184.216.35 PR icmp len 20 84 icmp echo/0 K-S IN");
    feed("03/03/2024 11:00:00.000020 em0 @0:10 p 10.0.0.6 -> 10.9.0.1 PR udp len 20 (596) (frag 48879:576@1480) K-F IN");
    take();
    const b = snapshot();
    init('{"device":"router"}');
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(true);
    feed("03/03/2024 11:00:00.000015 em1 @0:1 p 10.0.0.5,49152 -> 93.184.216.34,443 PR tcp len 20 60 -S K-S OUT");
    feed("03/03/2024 11:00:00.000025 em1 @0:7 p 10.0.0.5 -> 93.184.216.35 PR icmp len 20 84 icmp echo/0 K-S OUT");
    feed("03/03/2024 11:00:00.000030 em1 @0:10 p 10.0.0.6 -> 10.9.0.1 PR udp len 20 (596) (frag 48879:576@1480) K-F OUT");
    expect<u64>(counters.foldedOutLines).toBe(3);
    expect<u64>(counters.packetsIn).toBe(3);
    flushAll();
    const got = take();
    expect<i32>(lines(got)).toBe(3);
    expect<bool>(got.includes('"egress":{"interface":{"name":"em1"}}')).toBe(true);
  });
});

describe("restoreSnapshot: refusals leave the engine as it was", () => {
  it("truncated blobs", () => {
    init();
    traffic();
    take();
    const b = snapshot();
    expect<bool>(restoreSnapshot(b.ptr, FIXED + 3)).toBe(false);
    expect<string>(snapshotError()).toBe("state blob is truncated");
    expect<bool>(restoreSnapshot(b.ptr, 0)).toBe(false);
    expect<string>(snapshotError()).toBe("state blob is truncated");
  });
  it("foreign data", () => {
    init();
    const b = snapshot();
    store<u8>(b.ptr, 0x58);
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(false);
    expect<string>(snapshotError()).toBe("not an ipmon-flow state blob");
  });
  it("another version", () => {
    init();
    const b = snapshot();
    store<u32>(b.ptr, 1, 8); // before logging hosts had state of their own
    reseal(b);
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(false);
    expect<string>(snapshotError()).toBe("state blob version 1 is not supported");
  });
  it("another build (slot or counters size)", () => {
    init();
    const b = snapshot();
    store<u32>(b.ptr, FLOW_RECORD + 8, 12);
    reseal(b);
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(false);
    expect<string>(snapshotError()).toBe("state blob was written by an incompatible build");
    store<u32>(b.ptr, FLOW_RECORD, 12);
    store<u32>(b.ptr, 24 * 8 + 8, 16);
    reseal(b);
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(false);
    expect<string>(snapshotError()).toBe("state blob was written by an incompatible build");
  });
  it("a flipped byte anywhere fails the checksum", () => {
    init();
    traffic();
    take();
    const b = snapshot();
    const at = b.ptr + b.len - 4 - <usize>FLOW_RECORD + 100; // inside the last flow
    store<u8>(at, load<u8>(at) ^ 1);
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(false);
    expect<string>(snapshotError()).toBe("state blob checksum mismatch (corrupt)");
  });
  it("counts that do not match the contents (with a valid checksum)", () => {
    init();
    traffic();
    take();
    const b = snapshot();
    store<u32>(b.ptr, 6, 24); // one flow more than present: the sections after it no longer add up
    reseal(b);
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(false);
    expect<bool>(snapshotError().startsWith("state blob is truncated (")).toBe(true);
    store<u32>(b.ptr, 60, 24); // far more flows than present
    reseal(b);
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(false);
    expect<string>(snapshotError()).toBe("state blob is truncated (flows)");
    store<u32>(b.ptr, 5, 24);
    store<u32>(b.ptr, 60000, 20); // far more names than present
    reseal(b);
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(false);
    expect<string>(snapshotError()).toBe("state blob is truncated (names)");
  });
  it("after a refusal the current flows, clock and counters are untouched", () => {
    init();
    traffic();
    take();
    const clock = engineClock();
    const b = snapshot();
    store<u8>(b.ptr + 50, load<u8>(b.ptr + 50) ^ 0xff);
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(false);
    expect<i64>(engineClock()).toBe(clock);
    expect<u64>(counters.linesRead).toBe(10);
    expect<i32>(openFlows()).toBe(5);
  });
});

describe("names in the blob", () => {
  it("only names an open flow uses are written: ended flows' names are left behind", () => {
    init();
    feed("Mar  3 11:00:00 fwold ipmon[1]: 11:00:00.000000 em9 @zz:99 p 10.0.0.1,5000 -> 10.0.0.2,53 PR udp len 20 60 IN");
    feed("Mar  3 11:00:01 fw1 ipmon[1]: 11:00:01.000000 em0 @0:1 p 10.0.0.1,5001 -> 10.0.0.2,53 PR udp len 20 60 IN");
    // fwold has been quiet since: its clock follows the stream's, and its flow ends (UDP idle timeout)
    advanceClock(T0 + 60500000);
    const ended = take();
    expect<bool>(ended.includes('"hostname":"fwold"')).toBe(true);
    expect<bool>(ended.includes('"hostname":"fw1"')).toBe(false);
    const b = snapshot();
    expect<bool>(contains(b, "zz:99")).toBe(false);
    expect<bool>(contains(b, "fwold")).toBe(false);
    expect<bool>(contains(b, "em9")).toBe(false);
    expect<bool>(contains(b, "0:1")).toBe(true);
    expect<bool>(contains(b, "fw1")).toBe(true);
    init();
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(true);
    flushAll();
    const out = take();
    expect<bool>(out.includes('"hostname":"fw1"')).toBe(true);
    expect<bool>(out.includes('"name":"@0:1"')).toBe(true);
  });
});

function contains(b: Blob, s: string): bool {
  const n = <usize>s.length;
  for (let i: usize = 0; i + n <= b.len; i++) {
    let k: usize = 0;
    while (k < n && <u32>load<u8>(b.ptr + i + k) == <u32>s.charCodeAt(<i32>k)) k++;
    if (k == n) return true;
  }
  return false;
}

describe("the packet hash key", () => {
  it("a fresh engine takes the blob's key; flows are found under it", () => {
    init();
    store<u64>(packetKeyPtr(), 0x0123456789abcdef);
    store<u64>(packetKeyPtr(), 0xfedcba9876543210, 8);
    init(); // a fresh engine keeps the process's key
    traffic();
    take();
    const b = snapshot();
    store<u64>(packetKeyPtr(), 0); // another process: another key
    store<u64>(packetKeyPtr(), 0, 8);
    init();
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(true);
    expect<u64>(load<u64>(packetKeyPtr())).toBe(0x0123456789abcdef);
    expect<u64>(load<u64>(packetKeyPtr(), 8)).toBe(0xfedcba9876543210);
    flushAll();
    expect<i32>(take().split('"record_type":"flow"').length - 1).toBe(5);
  });
});

/** The blob taken in pieces of at most about `limit` bytes, copied out as they come. */
function snapshotInPieces(limit: i32): Blob {
  let p = heap.alloc(0);
  let n: usize = 0;
  let pieces = 0;
  let size: usize = 0;
  do {
    outReset(MODE_NDJSON);
    const done = writeSnapshotSome(limit);
    if (pieces == 0) size = snapshotSize();
    const len = <usize>outLen();
    p = heap.realloc(p, n + len);
    memory.copy(p + n, outPtr(), len);
    n += len;
    pieces++;
    expect<bool>(snapshotUnderWay()).toBe(!done);
  } while (snapshotUnderWay());
  outReset(MODE_NDJSON);
  lastPieces = pieces;
  expect<usize>(size).toBe(n); // known from the first piece
  return new Blob(p, n);
}

let lastPieces = 0;

/** Router traffic that leaves open flows, packets waiting for their other line, and a fragment. */
function routerState(): void {
  init('{"device":"router"}');
  traffic();
  feed("03/03/2024 11:00:03.000000 em0 @0:1 p 10.0.0.5,49152 -> 93.184.216.34,443 PR tcp len 20 60 -S K-S IN");
  feed("03/03/2024 11:00:03.000010 em0 @0:7 p 10.0.0.5 -> 93.184.216.35 PR icmp len 20 84 icmp echo/0 K-S IN");
  feed("03/03/2024 11:00:03.000020 em0 @0:10 p 10.0.0.6 -> 10.9.0.1 PR udp len 20 (596) (frag 48879:576@1480) K-F IN");
  take();
}

describe("writeSnapshotSome", () => {
  it("pieces of one record each add up to exactly the one-call blob", () => {
    routerState();
    const whole = snapshot();
    const cut = snapshotInPieces(1);
    expect<usize>(cut.len).toBe(whole.len);
    expect<i32>(memory.compare(cut.ptr, whole.ptr, whole.len)).toBe(0);
    // header, then names, hosts + flows, packets and the fragment each in pieces of their own
    expect<bool>(lastPieces > 10).toBe(true);
  });
  it("a large limit writes the blob in one piece", () => {
    routerState();
    const whole = snapshot();
    const once = snapshotInPieces(1 << 20);
    expect<i32>(lastPieces).toBe(1);
    expect<i32>(memory.compare(once.ptr, whole.ptr, whole.len)).toBe(0);
  });
  it("a piece stops at the first record boundary past the limit", () => {
    routerState();
    outReset(MODE_NDJSON);
    expect<bool>(writeSnapshotSome(FIXED as i32 + 1)).toBe(false);
    // the fixed part, then one name at most (names are short)
    expect<bool>(<usize>outLen() > FIXED).toBe(true);
    expect<bool>(<usize>outLen() < FIXED + 64).toBe(true);
    snapshotCancel();
  });
  it("the limit counts from where the piece starts, after output already written", () => {
    routerState();
    const whole = snapshot();
    outReset(MODE_NDJSON);
    writeStats();
    const before = <usize>outLen();
    let pieces = 0;
    while (!writeSnapshotSome(1)) pieces++;
    expect<bool>(pieces > 10).toBe(true);
    expect<usize>(<usize>outLen() - before).toBe(whole.len);
    expect<i32>(memory.compare(outPtr() + before, whole.ptr, whole.len)).toBe(0);
  });
  it("cancelled half-way, the next snapshot starts from the beginning and restores", () => {
    routerState();
    outReset(MODE_NDJSON);
    writeSnapshotSome(FIXED as i32 + 1);
    snapshotCancel();
    expect<bool>(snapshotUnderWay()).toBe(false);
    const b = snapshotInPieces(200);
    expect<u64>(load<u64>(b.ptr)).toBe(0x50414e5346504d49);
    init('{"device":"router"}');
    expect<bool>(restoreSnapshot(b.ptr, b.len)).toBe(true);
  });
});
