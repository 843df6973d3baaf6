import {
  addTarget, distinctTargets, exactTarget, listHead, restartWindow, Scan, scanAt, SCAN_KEY, scanFind, scanInsert,
  scanKeyHash, SCAN_OVERFLOW, SCAN_PARTIAL, SCAN_REPORTED, SCAN_SLOTS, scanRemove, scansInit, scansUsed, scanTouch,
  candidatesEvicted, EXACT_CAP,
} from "../../flows/scans";

const SAMPLE = memory.data(16);
let endedCalls = 0;

function ended(s: Scan): void {
  endedCalls++;
}

/** Key for source n (IPv4 in the last four bytes of the first 16), port scan of host 1. */
function key(n: u32): u32 {
  memory.fill(SCAN_KEY, 0, 40);
  store<u32>(SCAN_KEY + 12, bswap<u32>(0x64000000 | n));
  store<u32>(SCAN_KEY + 28, bswap<u32>(0xc0000201));
  store<u8>(SCAN_KEY + 35, 1);
  return scanKeyHash();
}

function insert(n: u32, now: i64 = 0): Scan {
  const s = scanInsert(key(n), 0, now, 300000000, ended);
  restartWindow(s, now);
  return s;
}

describe("scan tracker", () => {
  it("finds what it holds by key and forgets what it removes", () => {
    scansInit();
    for (let n: u32 = 0; n < 100; n++) insert(n);
    expect<u32>(scansUsed()).toBe(100);
    const h = key(42);
    const s = scanFind(h)!;
    expect<u32>(bswap<u32>(load<u32>(changetype<usize>(s) + 12))).toBe(0x6400002a);
    scanRemove(s);
    expect<bool>(scanFind(key(42)) === null).toBe(true);
    expect<bool>(scanFind(key(43)) !== null).toBe(true);
    expect<u32>(scansUsed()).toBe(99);
  });

  it("counts each target once, exactly up to EXACT_CAP, then estimates and says so", () => {
    scansInit();
    const s = insert(1);
    expect<bool>(addTarget(s, 80, SAMPLE)).toBe(true);
    expect<bool>(addTarget(s, 80, SAMPLE)).toBe(false);
    expect<bool>(addTarget(s, 443, SAMPLE)).toBe(true);
    expect<u32>(distinctTargets(s)).toBe(2);
    expect<u32>(exactTarget(s, 1)).toBe(443);
    for (let p: u32 = 1000; p < 1000 + EXACT_CAP - 2; p++) addTarget(s, p, SAMPLE);
    expect<u32>(distinctTargets(s)).toBe(EXACT_CAP);
    expect<u8>(s.flags & SCAN_OVERFLOW).toBe(0);
    for (let p: u32 = 5000; p < 5936; p++) addTarget(s, p, SAMPLE);
    expect<u8>(s.flags & SCAN_OVERFLOW).toBe(SCAN_OVERFLOW);
    const n = distinctTargets(s); // 1000 in truth
    expect<bool>(n >= 900 && n <= 1100).toBe(true);
    expect<u16>(s.sampleCount).toBe(10);
  });

  it("a new window forgets targets and counts", () => {
    scansInit();
    const s = insert(1);
    addTarget(s, 80, SAMPLE);
    s.attempts = 3;
    restartWindow(s, 1000);
    expect<u32>(distinctTargets(s)).toBe(0);
    expect<u32>(s.attempts).toBe(0);
    expect<i64>(s.windowUs).toBe(1000);
  });

  it("full: evicts among the least recently seen the one with the fewest targets, episodes last", () => {
    scansInit();
    for (let n: u32 = 0; n < SCAN_SLOTS; n++) insert(n);
    // the oldest has three targets: the second oldest (one target) goes instead
    const oldest = scanFind(key(0))!;
    addTarget(oldest, 1, SAMPLE);
    addTarget(oldest, 2, SAMPLE);
    addTarget(oldest, 3, SAMPLE);
    for (let n: u32 = 1; n < 8; n++) addTarget(scanFind(key(n))!, 1, SAMPLE);
    const fresh = insert(100000, 5);
    expect<bool>(scanFind(key(0)) !== null).toBe(true);
    expect<bool>(scanFind(key(1)) === null).toBe(true);
    expect<u64>(candidatesEvicted).toBe(1);
    // opened right after an eviction: its count may miss attempts, and says so
    expect<u8>(fresh.flags & SCAN_PARTIAL).toBe(SCAN_PARTIAL);
    expect<u32>(scansUsed()).toBe(SCAN_SLOTS);
  });

  it("an episode evicted is ended first (its final record), not dropped", () => {
    scansInit();
    endedCalls = 0;
    for (let n: u32 = 0; n < SCAN_SLOTS; n++) scanFind(key(n)) === null && insert(n).flags == 0 ? (scanFind(key(n))!.flags = SCAN_REPORTED) : 0;
    insert(200000);
    expect<i32>(endedCalls).toBe(1);
  });

  it("touching moves a candidate to the end of its host's list", () => {
    scansInit();
    insert(1);
    insert(2);
    expect<u32>(bswap<u32>(load<u32>(changetype<usize>(scanAt(listHead(0))) + 12))).toBe(0x64000001);
    scanTouch(scanFind(key(1))!);
    expect<u32>(bswap<u32>(load<u32>(changetype<usize>(scanAt(listHead(0))) + 12))).toBe(0x64000002);
  });
});
