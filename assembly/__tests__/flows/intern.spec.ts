import { intern, namePtr, nameLen, nameCount, hashBytes, EMPTY_ID, OVERFLOW_ID } from "../../flows/intern";

// Spec-only scratch for the name bytes (large enough for the 64 KiB length test).
const BUF = memory.data(70000);

function id(s: string): u16 {
  const n = <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, BUF);
  return intern(BUF, n);
}

function hostId(s: string): u16 {
  const n = <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, BUF);
  return intern(BUF, n, true);
}

function name(i: u16): string {
  return String.UTF8.decodeUnsafe(namePtr(i), <usize>nameLen(i));
}

function fnv(s: string): u32 {
  const n = <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, BUF);
  return hashBytes(BUF, n);
}

describe("hashBytes", () => {
  it("is 32-bit FNV-1a (published test vectors)", () => {
    expect<u32>(fnv("")).toBe(0x811c9dc5);
    expect<u32>(fnv("a")).toBe(0xe40c292c);
    expect<u32>(fnv("foobar")).toBe(0xbf9cf968);
  });
});

describe("intern", () => {
  it("gives the empty name id 0 without touching the pool", () => {
    expect<u16>(intern(BUF, 0)).toBe(EMPTY_ID);
    expect<u16>(intern(BUF, -1)).toBe(EMPTY_ID);
    expect<u32>(nameCount()).toBe(1);
    expect<usize>(namePtr(EMPTY_ID)).toBe(0);
    expect<i32>(nameLen(EMPTY_ID)).toBe(0);
  });
  it("hands out ids from 1 in order of first appearance", () => {
    expect<u16>(id("e1000g0")).toBe(1);
    expect<u16>(id("0:3")).toBe(2);
    expect<u16>(id("sol1")).toBe(3);
    expect<u32>(nameCount()).toBe(4);
  });
  it("returns the same id for the same bytes", () => {
    expect<u16>(id("e1000g0")).toBe(1);
    expect<u16>(id("sol1")).toBe(3);
    expect<u32>(nameCount()).toBe(4);
  });
  it("distinguishes prefixes, extensions and case", () => {
    const a = id("em0");
    const b = id("em01");
    const c = id("EM0");
    const d = id("em");
    expect<bool>(a != b && a != c && a != d && b != c && b != d && c != d).toBe(true);
    expect<u16>(id("em01")).toBe(b);
  });
  it("copies the text: the caller's buffer may change afterwards", () => {
    const i = id("igb1");
    store<u8>(BUF, 0x78); // overwrite the source
    expect<string>(name(i)).toBe("igb1");
    expect<i32>(nameLen(i)).toBe(4);
  });
  it("keeps non-ASCII bytes as they are", () => {
    const i = id("routeur-été");
    expect<string>(name(i)).toBe("routeur-été");
    expect<i32>(nameLen(i)).toBe(13);
  });
  it("refuses a name longer than 65535 bytes with OVERFLOW_ID", () => {
    memory.fill(BUF, 0x61, 65536);
    const before = nameCount();
    expect<u16>(intern(BUF, 65536)).toBe(OVERFLOW_ID);
    expect<u32>(nameCount()).toBe(before);
    expect<usize>(namePtr(OVERFLOW_ID)).toBe(0);
    expect<i32>(nameLen(OVERFLOW_ID)).toBe(0);
  });
  it("accepts a name of exactly 65535 bytes", () => {
    memory.fill(BUF, 0x62, 65535);
    const i = intern(BUF, 65535);
    expect<bool>(i != OVERFLOW_ID && i != EMPTY_ID).toBe(true);
    expect<i32>(nameLen(i)).toBe(65535);
    expect<u8>(load<u8>(namePtr(i) + 65534)).toBe(0x62);
    expect<u16>(intern(BUF, 65535)).toBe(i);
  });
  it("other names stop 1024 short of full; logging hosts fill the rest; then OVERFLOW_ID", () => {
    let last: u16 = 0;
    for (let i = <i32>nameCount(); i < 8192 - 1024; i++) {
      last = id("if" + i.toString());
      expect<bool>(last != OVERFLOW_ID).toBe(true);
    }
    expect<u16>(last).toBe(8191 - 1024);
    expect<u16>(id("one-rule-too-many")).toBe(OVERFLOW_ID);
    // the rest is kept for logging hosts, which are part of the flow key
    for (let i = 8192 - 1024; i < 8192; i++) {
      last = hostId("host" + i.toString());
      expect<bool>(last != OVERFLOW_ID).toBe(true);
    }
    expect<u16>(last).toBe(8191);
    expect<u32>(nameCount()).toBe(8192);
    expect<u16>(hostId("one-host-too-many")).toBe(OVERFLOW_ID);
    expect<u32>(nameCount()).toBe(8192);
    expect<u16>(id("e1000g0")).toBe(1);
    expect<u16>(hostId("host8191")).toBe(8191);
    expect<string>(name(8191)).toBe("host8191");
    expect<string>(name(2)).toBe("0:3");
  });
});
