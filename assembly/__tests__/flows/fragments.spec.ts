// fragments.ts: each tail to its datagram, by offset and then by IP id.
import { FRAG_SLOTS, FRAG_WINDOW_US, WAYS, datagramAt, datagramWaiting, fragmentFirst, fragmentTail, fragmentsInit } from "../../flows/fragments";

const SRC = memory.data(16);
const DST = memory.data(16);
const OTHER = memory.data(16);

function v4(dst: usize, b3: u8): void {
  store<u64>(dst, 0);
  store<u32>(dst + 8, 0xffff0000);
  store<u32>(dst + 12, 0x0000a8c0 | (<u32>b3 << 24)); // 192.168.0.b3
}

/** The flow slot a tail is given, or -1. */
function tail(hasId: bool, id: u32, off: u32, len: u32, more: bool, t: i64 = 10, src: usize = SRC): i32 {
  const d = fragmentTail(src, DST, 1, 17, hasId, id, off, len, more, t);
  return d < 0 ? -1 : <i32>datagramAt(<u32>d).flowSlot;
}

describe("fragment tails", () => {
  it("two first fragments in the same microsecond, then both tails: one each, oldest first (DNSCrypt)", () => {
    fragmentsInit();
    v4(SRC, 1);
    v4(DST, 2);
    fragmentFirst(SRC, DST, 1, 17, 1480, 0, 100, 1);
    fragmentFirst(SRC, DST, 1, 17, 1480, 0, 200, 1);
    expect<i32>(tail(true, 7001, 1480, 300, false)).toBe(100);
    expect<i32>(tail(true, 7002, 1480, 300, false)).toBe(200);
    expect<i32>(tail(true, 7003, 1480, 300, false)).toBe(-1);
  });
  it("a datagram takes its first tail's IP id; later tails with that id follow it, others do not", () => {
    fragmentsInit();
    v4(SRC, 1);
    v4(DST, 2);
    fragmentFirst(SRC, DST, 1, 17, 1480, 0, 100, 1);
    fragmentFirst(SRC, DST, 1, 17, 1480, 1, 200, 1);
    expect<i32>(tail(true, 9, 1480, 1480, true)).toBe(100);
    // the second datagram's tail at 1480, then the first's at 2960
    expect<i32>(tail(true, 10, 1480, 1480, true)).toBe(200);
    expect<i32>(tail(true, 9, 2960, 100, false)).toBe(100);
    expect<i32>(tail(true, 10, 2960, 100, false)).toBe(200);
  });
  it("only a datagram waiting for exactly that offset, between the same hosts, protocol and logging host", () => {
    fragmentsInit();
    v4(SRC, 1);
    v4(DST, 2);
    v4(OTHER, 3);
    fragmentFirst(SRC, DST, 1, 17, 1480, 0, 100, 1);
    expect<i32>(tail(true, 5, 1488, 100, false)).toBe(-1);
    expect<i32>(tail(true, 5, 1480, 100, false, 10, OTHER)).toBe(-1);
    expect<i32>(fragmentTail(SRC, DST, 2, 17, true, 5, 1480, 100, false, 10)).toBe(-1);
    expect<i32>(fragmentTail(SRC, DST, 1, 1, true, 5, 1480, 100, false, 10)).toBe(-1);
    expect<i32>(tail(true, 5, 1480, 100, false, FRAG_WINDOW_US + 1)).toBe(-1);
    expect<i32>(tail(true, 5, 1480, 100, false)).toBe(100);
  });
  it("IPFilter 3.4's tails carry no id: offsets alone", () => {
    fragmentsInit();
    v4(SRC, 1);
    v4(DST, 2);
    fragmentFirst(SRC, DST, 1, 17, 1480, 0, 100, 1);
    expect<i32>(tail(false, 0, 1480, 1480, true)).toBe(100);
    expect<i32>(tail(false, 0, 2960, 8, false)).toBe(100);
  });
  it("a full set replaces its oldest datagram", () => {
    fragmentsInit();
    v4(SRC, 1);
    v4(DST, 2);
    for (let i: u32 = 0; i <= WAYS; i++) fragmentFirst(SRC, DST, 1, 17, 1480, <i64>i, 100 + i, 1);
    // the oldest (slot 100) is gone: the first tail goes to the next oldest
    expect<i32>(tail(true, 1, 1480, 8, false)).toBe(101);
  });
});

/** The set (slot / WAYS) a datagram of `host` between SRC and DST goes to. */
function setOfHost(host: u32): u32 {
  fragmentsInit();
  fragmentFirst(SRC, DST, host, 17, 1480, 0, 0, 0);
  for (let i: u32 = 0; i < FRAG_SLOTS; i++) if (datagramWaiting(i)) return i / WAYS;
  return 0xffffffff;
}

describe("same-microsecond first fragments in reused ways", () => {
  it("go to their tails in the order they came, whatever ways they took", () => {
    fragmentsInit();
    v4(SRC, 1);
    v4(DST, 2);
    // fill the set, the last way with the oldest datagram (a relay's order)
    for (let w: u32 = 0; w < WAYS; w++) fragmentFirst(SRC, DST, 1, 17, 1000, 20 - <i64>w, 10 + w, 1);
    // its tail frees the last way; a datagram takes it; the next tail frees the way before,
    // and a second datagram, logged in the same microsecond as the first, takes that
    expect<i32>(tail(true, 1, 1000, 8, false, 30)).toBe(10 + WAYS - 1);
    fragmentFirst(SRC, DST, 1, 17, 1480, 50, 300, 1);
    expect<i32>(tail(true, 2, 1000, 8, false, 30)).toBe(10 + WAYS - 2);
    fragmentFirst(SRC, DST, 1, 17, 1480, 50, 400, 1);
    expect<i32>(tail(true, 3, 1480, 300, false, 60)).toBe(300);
    expect<i32>(tail(true, 4, 1480, 300, false, 60)).toBe(400);
  });
});

describe("copies of a fragment (a host not paired as a router logs it IN and OUT)", () => {
  it("the copy of a datagram's last tail goes to that datagram, not to the next one waiting", () => {
    fragmentsInit();
    v4(SRC, 1);
    v4(DST, 2);
    fragmentFirst(SRC, DST, 1, 17, 1480, 0, 100, 1); // reply A, IN
    fragmentFirst(SRC, DST, 1, 17, 1480, 0, 200, 1); // reply B, IN (same microsecond)
    fragmentFirst(SRC, DST, 1, 17, 1480, 12, 300, 1); // A's OUT copy
    fragmentFirst(SRC, DST, 1, 17, 1480, 15, 400, 1); // B's OUT copy
    expect<i32>(tail(true, 7001, 1480, 300, false, 40)).toBe(100); // A's tail, IN
    expect<i32>(tail(true, 7001, 1480, 300, false, 50)).toBe(100); // its OUT copy: A again
    expect<i32>(tail(true, 7002, 1480, 300, false, 45)).toBe(200); // B's tail
    expect<i32>(tail(true, 7002, 1480, 300, false, 55)).toBe(200);
    // a different tail at that offset still takes a datagram that waits for it
    expect<i32>(tail(true, 7003, 1480, 300, false, 60)).toBe(300);
  });
});

describe("a full set", () => {
  it("replaces the datagram that came first, not the one with the earliest time (hosts hours apart)", () => {
    v4(SRC, 1);
    v4(DST, 2);
    // a host (slot h) whose datagrams share host 1's set
    const set = setOfHost(1);
    let h: u32 = 2;
    while (setOfHost(h) != set) h++;
    const AHEAD: i64 = 6 * 3600 * 1000000; // host 1's clock, six hours ahead of host h's
    fragmentsInit();
    for (let w: u32 = 0; w + 1 < WAYS; w++) fragmentFirst(SRC, DST, 1, 17, 1480, AHEAD + <i64>w, 100 + w, 1);
    fragmentFirst(SRC, DST, h, 17, 1480, 5, 900, 1); // host h's fresh datagram fills the set
    fragmentFirst(SRC, DST, 1, 17, 1480, AHEAD + 10, 200, 1); // replaces host 1's first
    const d = fragmentTail(SRC, DST, h, 17, true, 77, 1480, 300, false, 6);
    expect<i32>(d < 0 ? -1 : <i32>datagramAt(<u32>d).flowSlot).toBe(900);
    expect<i32>(tail(true, 78, 1480, 300, false, AHEAD + 11)).toBe(101); // host 1's oldest left
  });
});
