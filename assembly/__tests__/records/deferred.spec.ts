import {
  DEFER_BYTES, DEFER_MAX, defer, deferFits, deferredCount, deferredSpan, deferredSpanLen, dropAll, dropOldest, oldestLen,
} from "../../records/deferred";

const SRC = memory.data(<i32>DEFER_BYTES);

/** Defers the ASCII text s as one record. */
function add(s: string): void {
  const n = String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, SRC);
  defer(SRC, n);
}

/** Defers a record of n bytes, every byte c. */
function addBytes(n: usize, c: u8): void {
  memory.fill(SRC, c, n);
  defer(SRC, n);
}

/** The oldest waiting record as text. */
function oldest(): string {
  return String.UTF8.decodeUnsafe(deferredSpan(), oldestLen());
}

/** The whole waiting span (the body of a JSON array) as text. */
function span(): string {
  return String.UTF8.decodeUnsafe(deferredSpan(), deferredSpanLen());
}

describe("deferred records", () => {
  beforeEach(() => {
    dropAll();
  });

  it("keeps records in order, comma-separated, and hands the oldest first", () => {
    add('{"a":1}');
    add('{"b":2}');
    add('{"c":3}');
    expect<i32>(deferredCount()).toBe(3);
    expect<string>(span()).toBe('{"a":1},{"b":2},{"c":3}');
    expect<string>(oldest()).toBe('{"a":1}');
    dropOldest();
    expect<string>(oldest()).toBe('{"b":2}');
    expect<string>(span()).toBe('{"b":2},{"c":3}');
    dropOldest();
    dropOldest();
    expect<i32>(deferredCount()).toBe(0);
    expect<usize>(deferredSpanLen()).toBe(0);
  });

  it("counts the comma a record needs beside waiting ones against the byte bound", () => {
    expect<bool>(deferFits(1, DEFER_BYTES)).toBe(true);
    expect<bool>(deferFits(1, DEFER_BYTES + 1)).toBe(false);
    addBytes(100, 0x41);
    expect<bool>(deferFits(1, DEFER_BYTES - 101)).toBe(true);
    expect<bool>(deferFits(1, DEFER_BYTES - 100)).toBe(false);
  });

  it("holds at most DEFER_MAX records", () => {
    for (let i = 0; i < DEFER_MAX - 1; i++) add("{}");
    expect<bool>(deferFits(1, 2)).toBe(true);
    expect<bool>(deferFits(2, 5)).toBe(false);
    add("{}");
    expect<bool>(deferFits(1, 2)).toBe(false);
  });

  it("reuses the room its oldest records left, moving the rest back, lengths ring and all", () => {
    // fill most of the region, take from the front, then add past the end: the span moves
    // back to the start and every record keeps its bytes and its length
    const big: usize = DEFER_BYTES / 4;
    for (let round = 0; round < 3 * DEFER_MAX; round++) {
      addBytes(big - 1, <u8>(0x41 + (round % 26)));
      if (deferredCount() == 3) {
        expect<usize>(oldestLen()).toBe(big - 1);
        expect<u8>(load<u8>(deferredSpan())).toBe(<u8>(0x41 + ((round - 2) % 26)));
        dropOldest();
      }
    }
    expect<i32>(deferredCount()).toBe(2);
    expect<usize>(deferredSpanLen()).toBe(2 * (big - 1) + 1);
    const last = 3 * DEFER_MAX - 1;
    expect<u8>(load<u8>(deferredSpan())).toBe(<u8>(0x41 + ((last - 1) % 26)));
    expect<u8>(load<u8>(deferredSpan() + big - 1)).toBe(0x2c);
    expect<u8>(load<u8>(deferredSpan() + big)).toBe(<u8>(0x41 + (last % 26)));
  });

  it("forgets everything on dropAll", () => {
    add('{"a":1}');
    add('{"b":2}');
    dropAll();
    expect<i32>(deferredCount()).toBe(0);
    add('{"z":0}');
    expect<string>(span()).toBe('{"z":0}');
    expect<string>(oldest()).toBe('{"z":0}');
  });
});
