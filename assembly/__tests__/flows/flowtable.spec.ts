import {
  Flow, SLOT_SIZE, NIL, HISTORY_CAP, KEY_SIZE, KEY_V6, TIMER_CLASSES, TIMER_UDP, TIMER_TCP_ESTABLISHED, TIMER_CLOSING,
  tableInit, tableInsert, tableFind, tableRemove, tableFull, tableUsed, tableHighWater, tableCapacity, bytesPerFlow,
  listAppend, listHead, flowAt, flowAddr, flowKey, slotOf, tableRelink, tableV6Bytes, slotIsLive,
} from "../../flows/flowtable";
import { hashKey } from "../../flows/hash";

// Spec-only key scratch (a key's full form: KEY_SIZE bytes).
const KEY = memory.data(40);
const OTHER = memory.data(40);

/**
 * Per key number, a variant of its responder address: a slot keeps no hash, so a spec that
 * wants keys in chosen home buckets searches for variants whose real hash lands there.
 */
const variants = new StaticArray<u32>(8192);
const homed = new StaticArray<u32>(8192);
const homedKnown = new StaticArray<bool>(8192);

/** Forgets every variant: keys are back to their plain form. */
function resetHomes(): void {
  for (let i = 0; i < 8192; i++) {
    variants[i] = 0;
    homedKnown[i] = false;
  }
}

/** The real hash of key i, with its variant chosen so that its bucket under `mask` is `home`. */
function homeAt(i: u32, home: u32, mask: u32): u32 {
  if (!homedKnown[i]) {
    let j: u32 = 0;
    variants[i] = j;
    while ((hashKey(key(i)) & mask) != home) variants[i] = ++j;
    homedKnown[i] = true;
    homed[i] = hashKey(key(i));
  }
  return homed[i];
}

/** Writes a distinct canonical-looking IPv4 key for number i into KEY. */
function key(i: u32): usize {
  memory.fill(KEY, 0, 40);
  store<u32>(KEY + 8, 0xffff0000);
  store<u32>(KEY + 12, bswap<u32>(0x0a000000 | (i >> 16))); // 10.0.x.y-ish, varies with i
  store<u32>(KEY + 24, 0xffff0000);
  store<u32>(KEY + 28, bswap<u32>(0xc0000000 | variants[i]));
  store<u16>(KEY + 32, <u16>(i & 0xffff));
  store<u16>(KEY + 34, 443);
  store<u8>(KEY + 36, 6);
  store<u8>(KEY + 37, 2);
  store<u16>(KEY + 38, <u16>(i % 3));
  return KEY;
}

/** Inserts key i with hash h and tags the flow with i so it can be checked later. */
function put(i: u32, h: u32): Flow {
  const f = tableInsert(key(i), h);
  f.origPackets = i;
  f.lines = i ^ 0x5a5a;
  return f;
}

/** True if key i is found with hash h and still carries its tag. */
function has(i: u32, h: u32): bool {
  const f = tableFind(key(i), h);
  if (f === null) return false;
  return f.origPackets == i && f.lines == (i ^ 0x5a5a) && f.portA == <u16>(i & 0xffff);
}

/** Counts the keys in [0, n) whose presence differs from expect(i). */
function mismatches(n: u32, hashOf: (i: u32) => u32, present: (i: u32) => bool): i32 {
  let bad = 0;
  for (let i: u32 = 0; i < n; i++) if (has(i, hashOf(i)) != present(i)) bad++;
  return bad;
}

function realHash(i: u32): u32 { return hashKey(key(i)); }
/** 16 home buckets only of a 2048-bucket index: one long cluster. */
function clusterHash(i: u32): u32 { return homeAt(i, (i * 7) & 15, 2047); }
/** Homes in the last 4 buckets of a 2048-bucket index: the cluster wraps round to bucket 0. */
function wrapHash(i: u32): u32 { return homeAt(i, 2047 - (i & 3), 2047); }
/** Homes 0 and 1 of a 4096-bucket index. */
function farHash(i: u32): u32 { return homeAt(i, i & 1, 4095); }
/** 64 home buckets of a 1024-bucket index. */
function churnHash(i: u32): u32 { return homeAt(i, ((i * 7) & 15) ^ (i & 0x30), 1023); }
function all(i: u32): bool { return true; }
function odd(i: u32): bool { return (i & 1) == 1; }
function keepMod3(i: u32): bool { return i % 3 != 0; }

/** Removes key i (looked up with hash h). */
function drop(i: u32, h: u32): void {
  const f = tableFind(key(i), h);
  if (f !== null) tableRemove(f);
}

/** Walks timer list c and returns the tags (origPackets) in order, comma-separated. */
function listTags(c: u32): string {
  let s = "";
  let f = listHead(c);
  let guard = 0;
  while (f !== null && guard++ < 100000) {
    if (s.length > 0) s += ",";
    s += f.origPackets.toString();
    f = f.next == NIL ? null : flowAt(f.next);
  }
  return s;
}

describe("Flow layout", () => {
  it("keeps the key's 16 bytes first, its last 8 as the full key has them; 120 bytes in all", () => {
    expect<usize>(offsetof<Flow>("portA")).toBe(8);
    expect<usize>(offsetof<Flow>("portB")).toBe(10);
    expect<usize>(offsetof<Flow>("proto")).toBe(12);
    expect<usize>(offsetof<Flow>("keyFlags")).toBe(13);
    expect<usize>(offsetof<Flow>("observer")).toBe(14);
    expect<usize>(offsetof<Flow>("firstUs") % 8).toBe(0);
    expect<u32>(HISTORY_CAP * 4).toBe(64); // four-bit codes in one u64
    expect<u32>(<u32>offsetof<Flow>("history") + 8).toBe(SLOT_SIZE);
    expect<u32>(SLOT_SIZE).toBe(120);
    expect<usize>(KEY_SIZE).toBe(40);
  });
  it("costs 128 bytes a flow at the default capacity, index included", () => {
    tableInit(65536);
    expect<u32>(bytesPerFlow()).toBe(128);
    tableInit(16);
  });
});

describe("tableInit", () => {
  it("starts empty with the requested capacity", () => {
    tableInit(100);
    expect<u32>(tableCapacity()).toBe(100);
    expect<u32>(tableUsed()).toBe(0);
    expect<u32>(tableHighWater()).toBe(0);
    expect<bool>(tableFull()).toBe(false);
    for (let c: u32 = 0; c < TIMER_CLASSES; c++) expect<bool>(listHead(c) === null).toBe(true);
  });
  it("sizes the index to a power of two at least twice the capacity", () => {
    tableInit(1000); // 2048 buckets × 4 bytes / 1000 flows = 8 bytes per flow
    expect<u32>(bytesPerFlow()).toBe(SLOT_SIZE + 8);
    tableInit(4); // the index never has fewer than 16 buckets: 64 / 4
    expect<u32>(bytesPerFlow()).toBe(SLOT_SIZE + 16);
  });
  it("discards the previous table and its flows", () => {
    tableInit(8);
    put(1, realHash(1));
    listAppend(tableFind(key(1), realHash(1))!, TIMER_UDP, 5);
    tableInit(8);
    expect<u32>(tableUsed()).toBe(0);
    expect<bool>(has(1, realHash(1))).toBe(false);
    expect<bool>(listHead(TIMER_UDP) === null).toBe(true);
  });
});

describe("slots taken lazily (a table's pages become resident only as flows fill it)", () => {
  it("takes never-used slots in order, released ones first, and is full only when all are taken", () => {
    tableInit(4);
    const a = put(1, realHash(1));
    const b = put(2, realHash(2));
    expect<u32>(slotOf(a)).toBe(0);
    expect<u32>(slotOf(b)).toBe(1);
    tableRemove(a);
    expect<u32>(slotOf(put(3, realHash(3)))).toBe(0); // the released slot before a fresh one
    expect<u32>(slotOf(put(4, realHash(4)))).toBe(2);
    expect<bool>(tableFull()).toBe(false);
    expect<u32>(slotOf(put(5, realHash(5)))).toBe(3);
    expect<bool>(tableFull()).toBe(true);
    tableRemove(b);
    expect<bool>(tableFull()).toBe(false);
    expect<u32>(slotOf(put(6, realHash(6)))).toBe(1);
    for (let i: u32 = 3; i <= 6; i++) expect<bool>(has(i, realHash(i))).toBe(true);
  });
  it("a slot never taken is not live, whatever bytes an earlier table left in it", () => {
    tableInit(8);
    const f = put(1, realHash(1));
    listAppend(f, TIMER_UDP, 1); // live: in a timer list
    const gen = f.generation;
    // what a discarded table of the same place could leave: a slot that looks live
    const stale = flowAt(5);
    stale.generation = gen;
    stale.timerClass = <u8>TIMER_UDP;
    expect<bool>(slotIsLive(slotOf(f), gen)).toBe(true);
    expect<bool>(slotIsLive(5, gen)).toBe(false);
    // once taken, the slot is zeroed and then set up by its new flow
    for (let i: u32 = 2; i <= 6; i++) put(i, realHash(i));
    expect<u32>(slotOf(tableFind(key(6), realHash(6))!)).toBe(5);
    expect<u32>(tableFind(key(6), realHash(6))!.origPackets).toBe(6);
  });
});

describe("hashKey", () => {
  it("is deterministic and depends on every key word", () => {
    const a = hashKey(key(7));
    expect<u32>(hashKey(key(7))).toBe(a);
    key(7);
    store<u8>(KEY + 0, 1);
    const b = hashKey(KEY);
    key(7);
    store<u8>(KEY + 15, 0x0b);
    const c = hashKey(KEY);
    key(7);
    store<u8>(KEY + 20, 1);
    const d = hashKey(KEY);
    key(7);
    store<u8>(KEY + 36, 17);
    const e = hashKey(KEY);
    key(7);
    store<u16>(KEY + 38, 9);
    const g = hashKey(KEY);
    expect<bool>(a != b && a != c && a != d && a != e && a != g).toBe(true);
  });
  it("spreads sequential keys over the buckets", () => {
    // 4096 sequential keys into 8192 buckets: a decent hash leaves few buckets shared
    const seen = new Set<u32>();
    for (let i: u32 = 0; i < 4096; i++) seen.add(hashKey(key(i)) & 8191);
    expect<bool>(seen.size > 3000).toBe(true);
  });
});

describe("tableInsert / tableFind", () => {
  it("keeps the key, gives it back in full form, and zeroes the rest", () => {
    tableInit(4);
    const h = realHash(42);
    const f = tableInsert(key(42), h);
    flowKey(f, OTHER);
    expect<i32>(memory.compare(OTHER, key(42), KEY_SIZE)).toBe(0);
    expect<u16>(f.portA).toBe(42);
    expect<u16>(f.portB).toBe(443);
    expect<u8>(f.proto).toBe(6);
    expect<u32>(f.prev).toBe(NIL);
    expect<u32>(f.next).toBe(NIL);
    expect<u8>(f.timerClass).toBe(<u8>TIMER_CLASSES);
    expect<u32>(f.origPackets).toBe(0);
    expect<u64>(f.history).toBe(0);
    expect<u16>(f.historySeen).toBe(0);
    expect<u32>(tableUsed()).toBe(1);
    const g = tableFind(key(42), h);
    expect<bool>(g !== null && changetype<usize>(g) == changetype<usize>(f)).toBe(true);
  });
  it("returns null for a missing key", () => {
    tableInit(4);
    put(1, realHash(1));
    expect<bool>(tableFind(key(2), realHash(2)) === null).toBe(true);
  });
  it("tells keys apart that differ only in the observer", () => {
    tableInit(4);
    key(5);
    store<u16>(KEY + 38, 1);
    const h1 = hashKey(KEY);
    tableInsert(KEY, h1).origPackets = 1;
    key(5);
    store<u16>(KEY + 38, 2);
    const h2 = hashKey(KEY);
    tableInsert(KEY, h2).origPackets = 2;
    key(5);
    store<u16>(KEY + 38, 1);
    expect<u32>(tableFind(KEY, h1)!.origPackets).toBe(1);
    key(5);
    store<u16>(KEY + 38, 2);
    expect<u32>(tableFind(KEY, h2)!.origPackets).toBe(2);
  });
  it("fills to capacity, then reports full; high water follows", () => {
    tableInit(16);
    for (let i: u32 = 0; i < 16; i++) {
      expect<bool>(tableFull()).toBe(false);
      put(i, realHash(i));
    }
    expect<bool>(tableFull()).toBe(true);
    expect<u32>(tableUsed()).toBe(16);
    expect<u32>(tableHighWater()).toBe(16);
    expect<i32>(mismatches(16, realHash, all)).toBe(0);
    drop(3, realHash(3));
    expect<bool>(tableFull()).toBe(false);
    expect<u32>(tableUsed()).toBe(15);
    expect<u32>(tableHighWater()).toBe(16);
  });
  it("reuses a freed slot", () => {
    tableInit(2);
    const a = put(1, realHash(1));
    put(2, realHash(2));
    const slot = slotOf(a);
    tableRemove(a);
    const c = put(3, realHash(3));
    expect<u32>(slotOf(c)).toBe(slot);
    expect<u32>(c.origPackets).toBe(3);
    expect<u16>(c.historySeen).toBe(0);
  });
});

describe("tableRemove: backward-shift deletion", () => {
  it("random hashes, full table (50% index load): every other key removed, the rest all found", () => {
    tableInit(4096);
    for (let i: u32 = 0; i < 4096; i++) put(i, realHash(i));
    expect<i32>(mismatches(4096, realHash, all)).toBe(0);
    for (let i: u32 = 0; i < 4096; i += 2) drop(i, realHash(i));
    expect<u32>(tableUsed()).toBe(2048);
    expect<i32>(mismatches(4096, realHash, odd)).toBe(0);
  });
  it("one 1024-long cluster (16 home buckets): removals in scattered order keep every key reachable", () => {
    resetHomes();
    tableInit(1024); // 2048 buckets
    for (let i: u32 = 0; i < 1024; i++) put(i, clusterHash(i));
    expect<i32>(mismatches(1024, clusterHash, all)).toBe(0);
    // remove i % 3 == 0 in a scattered order (stride 97 is coprime with 1024)
    for (let k: u32 = 0; k < 1024; k++) {
      const i = (k * 97) & 1023;
      if (i % 3 == 0) drop(i, clusterHash(i));
    }
    expect<i32>(mismatches(1024, clusterHash, keepMod3)).toBe(0);
    // put them back, remove the odd ones from the middle outwards
    for (let i: u32 = 0; i < 1024; i += 3) put(i, clusterHash(i));
    expect<i32>(mismatches(1024, clusterHash, all)).toBe(0);
    for (let k: u32 = 0; k < 512; k++) {
      const i = (k & 1) ? 511 - k : 512 + k;
      if (i & 1) drop(i, clusterHash(i));
    }
    for (let i: u32 = 1; i < 1024; i += 2) drop(i, clusterHash(i));
    expect<u32>(tableUsed()).toBe(512);
    expect<i32>(mismatches(1024, clusterHash, (i: u32): bool => (i & 1) == 0)).toBe(0);
  });
  it("a cluster that wraps from the last bucket to bucket 0", () => {
    resetHomes();
    tableInit(1024); // 2048 buckets, homes 2044..2047
    for (let i: u32 = 0; i < 600; i++) put(i, wrapHash(i));
    expect<i32>(mismatches(600, wrapHash, all)).toBe(0);
    for (let i: u32 = 0; i < 600; i += 3) drop(i, wrapHash(i));
    expect<i32>(mismatches(600, wrapHash, keepMod3)).toBe(0);
    for (let i: u32 = 0; i < 600; i++) if (i % 3 != 0 && (i & 1) == 1) drop(i, wrapHash(i));
    expect<i32>(mismatches(600, wrapHash, (i: u32): bool => i % 3 != 0 && (i & 1) == 0)).toBe(0);
    for (let i: u32 = 0; i < 600; i++) drop(i, wrapHash(i));
    expect<u32>(tableUsed()).toBe(0);
    expect<i32>(mismatches(600, wrapHash, (i: u32): bool => false)).toBe(0);
  });
  it("a cluster past the distance an index entry can hold: homes come from hashing again", () => {
    resetHomes();
    tableInit(2048); // 4096 buckets; 1,100 keys with homes 0 and 1: distances up to ~1,100
    for (let i: u32 = 0; i < 1100; i++) put(i, farHash(i));
    expect<i32>(mismatches(1100, farHash, all)).toBe(0);
    for (let k: u32 = 0; k < 1100; k++) {
      const i = (k * 97) % 1100;
      if (i % 3 == 0) drop(i, farHash(i));
    }
    expect<i32>(mismatches(1100, farHash, keepMod3)).toBe(0);
    for (let i: u32 = 0; i < 1100; i++) if (i % 3 != 0) drop(i, farHash(i));
    expect<u32>(tableUsed()).toBe(0);
    resetHomes();
  });
  it("churn: many insert/remove rounds at full load never lose a key", () => {
    resetHomes();
    tableInit(512);
    // live set: keys [base, base+512); each round removes the oldest 128 and adds 128 new ones
    for (let i: u32 = 0; i < 512; i++) put(i, churnHash(i));
    let base: u32 = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = base; i < base + 128; i++) drop(i, churnHash(i));
      for (let i = base + 512; i < base + 640; i++) put(i, churnHash(i));
      base += 128;
    }
    let bad = 0;
    for (let i: u32 = 0; i < base + 512; i++) {
      const live = i >= base;
      if (has(i, churnHash(i)) != live) bad++;
    }
    expect<i32>(bad).toBe(0);
    expect<u32>(tableUsed()).toBe(512);
    expect<bool>(tableFull()).toBe(true);
    resetHomes();
  });
});

/** Writes an IPv6 key for number i into KEY: 2001:db8::i to 2001:db8::1:0, port i. */
function key6(i: u32): usize {
  memory.fill(KEY, 0, 40);
  store<u32>(KEY, bswap<u32>(0x20010db8));
  store<u32>(KEY + 12, bswap<u32>(i));
  store<u32>(KEY + 16, bswap<u32>(0x20010db8));
  store<u32>(KEY + 28, bswap<u32>(0x10000));
  store<u16>(KEY + 32, <u16>(i & 0xffff));
  store<u16>(KEY + 34, 443);
  store<u8>(KEY + 36, 6);
  store<u8>(KEY + 37, KEY_V6 | 2);
  return KEY;
}

describe("IPv6 flows (addresses out of line)", () => {
  it("finds, tells apart from IPv4 and gives back IPv6 keys as the pool grows and entries are reused", () => {
    tableInit(1000);
    for (let i: u32 = 0; i < 300; i++) tableInsert(key6(i), hashKey(key6(i))).origPackets = i;
    // the IPv4 key with the same low address words is another flow
    memory.copy(OTHER, key6(7), KEY_SIZE);
    const lowA = load<u32>(OTHER + 12);
    const lowB = load<u32>(OTHER + 28);
    memory.fill(OTHER, 0, 32);
    store<u32>(OTHER + 8, 0xffff0000);
    store<u32>(OTHER + 12, lowA);
    store<u32>(OTHER + 24, 0xffff0000);
    store<u32>(OTHER + 28, lowB);
    store<u8>(OTHER + 37, 2);
    expect<bool>(tableFind(OTHER, hashKey(OTHER)) === null).toBe(true);
    tableInsert(OTHER, hashKey(OTHER)).origPackets = 7777;
    let bad = 0;
    for (let i: u32 = 0; i < 300; i++) {
      const f = tableFind(key6(i), hashKey(key6(i)));
      if (f === null || f.origPackets != i) bad++;
      else {
        flowKey(f, OTHER + 0);
        if (memory.compare(OTHER, key6(i), KEY_SIZE) != 0) bad++;
        if (memory.compare(flowAddr(f, true), key6(i) + 16, 16) != 0) bad++;
      }
    }
    expect<i32>(bad).toBe(0);
    expect<usize>(tableV6Bytes()).toBe(512 * 32); // 64, doubled three times
    // freed entries are taken again before the pool grows
    for (let i: u32 = 0; i < 300; i += 2) tableRemove(tableFind(key6(i), hashKey(key6(i)))!);
    for (let i: u32 = 1000; i < 1150; i++) tableInsert(key6(i), hashKey(key6(i))).origPackets = i;
    expect<usize>(tableV6Bytes()).toBe(512 * 32);
    for (let i: u32 = 0; i < 1150; i++) {
      const live = i < 300 ? (i & 1) == 1 : i >= 1000;
      if (i >= 300 && i < 1000) continue;
      const f = tableFind(key6(i), hashKey(key6(i)));
      if ((f !== null) != live || (f !== null && f.origPackets != i)) bad++;
    }
    expect<i32>(bad).toBe(0);
  });
  it("gives an IPv4 flow's addresses back in the IPv4-mapped form", () => {
    tableInit(4);
    const f = tableInsert(key(3), realHash(3));
    expect<i32>(memory.compare(flowAddr(f, false), key(3), 16)).toBe(0);
    expect<i32>(memory.compare(flowAddr(f, true), key(3) + 16, 16)).toBe(0);
  });
});

describe("timer lists", () => {
  it("append keeps insertion order; the head is the first appended", () => {
    tableInit(8);
    for (let i: u32 = 1; i <= 4; i++) listAppend(put(i, realHash(i)), TIMER_UDP, <i64>i * 10);
    expect<string>(listTags(TIMER_UDP)).toBe("1,2,3,4");
    expect<i64>(listHead(TIMER_UDP)!.timerUs).toBe(10);
    expect<u8>(listHead(TIMER_UDP)!.timerClass).toBe(<u8>TIMER_UDP);
  });
  it("re-appending moves a flow to the tail, or to another list", () => {
    tableInit(8);
    for (let i: u32 = 1; i <= 4; i++) listAppend(put(i, realHash(i)), TIMER_UDP, <i64>i);
    listAppend(tableFind(key(2), realHash(2))!, TIMER_UDP, 50);
    expect<string>(listTags(TIMER_UDP)).toBe("1,3,4,2");
    listAppend(tableFind(key(1), realHash(1))!, TIMER_CLOSING, 60);
    listAppend(tableFind(key(4), realHash(4))!, TIMER_CLOSING, 61);
    expect<string>(listTags(TIMER_UDP)).toBe("3,2");
    expect<string>(listTags(TIMER_CLOSING)).toBe("1,4");
    expect<i64>(listHead(TIMER_CLOSING)!.timerUs).toBe(60);
  });
  it("tableRemove unlinks from the head, the middle and the tail", () => {
    tableInit(8);
    for (let i: u32 = 1; i <= 5; i++) listAppend(put(i, realHash(i)), TIMER_TCP_ESTABLISHED, <i64>i);
    drop(3, realHash(3));
    expect<string>(listTags(TIMER_TCP_ESTABLISHED)).toBe("1,2,4,5");
    drop(1, realHash(1));
    expect<string>(listTags(TIMER_TCP_ESTABLISHED)).toBe("2,4,5");
    drop(5, realHash(5));
    expect<string>(listTags(TIMER_TCP_ESTABLISHED)).toBe("2,4");
    // a new flow appended after removals goes to the tail
    listAppend(put(6, realHash(6)), TIMER_TCP_ESTABLISHED, 6);
    expect<string>(listTags(TIMER_TCP_ESTABLISHED)).toBe("2,4,6");
    drop(2, realHash(2));
    drop(4, realHash(4));
    drop(6, realHash(6));
    expect<bool>(listHead(TIMER_TCP_ESTABLISHED) === null).toBe(true);
    expect<u32>(tableUsed()).toBe(0);
  });
  it("tableRelink rebuilds every prev link from the next links", () => {
    tableInit(8);
    for (let i: u32 = 1; i <= 5; i++) listAppend(put(i, realHash(i)), TIMER_UDP, <i64>i);
    for (let i: u32 = 1; i <= 5; i++) tableFind(key(i), realHash(i))!.prev = 1000 + i; // as a snapshot leaves them
    tableRelink();
    drop(3, realHash(3)); // unlinking from the middle needs both links right
    drop(5, realHash(5));
    listAppend(put(6, realHash(6)), TIMER_UDP, 6);
    expect<string>(listTags(TIMER_UDP)).toBe("1,2,4,6");
    expect<u32>(listHead(TIMER_UDP)!.prev).toBe(NIL);
  });
  it("a removed flow in no list can be removed from the index alone", () => {
    tableInit(4);
    put(9, realHash(9));
    drop(9, realHash(9));
    expect<bool>(has(9, realHash(9))).toBe(false);
    expect<bool>(listHead(TIMER_UDP) === null).toBe(true);
  });
});

// The table lives in heap.alloc memory: the GC must never move, free or scribble on it.
let junk: Array<string> = [];

function churnGarbage(rounds: i32): void {
  for (let r = 0; r < rounds; r++) {
    junk = [];
    for (let i = 0; i < 2000; i++) {
      junk.push("garbage-" + i.toString() + "-" + r.toString());
      const tmp = new Uint8Array(64 + (i & 127));
      tmp[0] = <u8>i;
    }
    junk = [];
    __collect();
  }
}

describe("GC stress", () => {
  it("flows in heap.alloc memory survive managed allocation churn and full collections", () => {
    tableInit(3000);
    for (let i: u32 = 0; i < 2000; i++) {
      const f = put(i, realHash(i));
      listAppend(f, TIMER_UDP, <i64>i);
      f.historySeen = 0b100000111;
      f.history = 0x2810;
    }
    churnGarbage(3);
    expect<i32>(mismatches(2000, realHash, all)).toBe(0);
    // table operations between collections
    for (let i: u32 = 0; i < 2000; i += 4) drop(i, realHash(i));
    __collect();
    for (let i: u32 = 2000; i < 2800; i++) listAppend(put(i, realHash(i)), TIMER_UDP, <i64>i);
    churnGarbage(3);
    for (let i: u32 = 1; i < 2000; i += 4) listAppend(tableFind(key(i), realHash(i))!, TIMER_CLOSING, <i64>i);
    churnGarbage(2);
    expect<i32>(mismatches(2800, realHash, (i: u32): bool => i >= 2000 || (i & 3) != 0)).toBe(0);
    expect<u32>(tableUsed()).toBe(2300);
    // field contents untouched
    let badHistory = 0;
    for (let i: u32 = 1; i < 2000; i += 2) {
      const f = tableFind(key(i), realHash(i))!;
      if (f.historySeen != 0b100000111 || f.history != 0x2810) badHistory++;
    }
    expect<i32>(badHistory).toBe(0);
    // lists intact: closing list holds 1,5,9,…; UDP list the rest in time order
    let n = 0;
    let prev: i64 = -1;
    let ordered = true;
    let f = listHead(TIMER_UDP);
    while (f !== null) {
      if (f.timerUs <= prev) ordered = false;
      prev = f.timerUs;
      n++;
      f = f.next == NIL ? null : flowAt(f.next);
    }
    expect<bool>(ordered).toBe(true);
    expect<i32>(n).toBe(2300 - 500);
    expect<string>(listTags(TIMER_CLOSING).substring(0, 12)).toBe("1,5,9,13,17,");
  });
});
