import { hashExtend, hashKey, hashName, nameKeyPtr, packetKeyPtr } from "../../flows/hash";

const K = memory.data(48);

function setKey(at: usize, a: u64, b: u64): void {
  store<u64>(at, a);
  store<u64>(at, b, 8);
}

describe("keyed hashes", () => {
  it("depend on the key: the same tuple lands elsewhere under another key", () => {
    memory.fill(K, 0, 48);
    store<u32>(K + 12, 0xc0000201);
    setKey(packetKeyPtr(), 1, 2);
    const a = hashKey(K);
    const e = hashExtend(a, 60, 1);
    expect<u32>(hashKey(K)).toBe(a); // a function of key and input
    setKey(packetKeyPtr(), 3, 2);
    expect<bool>(hashKey(K) != a).toBe(true);
    expect<bool>(hashExtend(a, 60, 1) != e).toBe(true);
    setKey(packetKeyPtr(), 0, 0);
  });

  it("every key byte counts, the last included", () => {
    memory.fill(K, 0, 48);
    const base = hashKey(K);
    for (let i = 0; i < 40; i++) {
      store<u8>(K + i, 1);
      expect<bool>(hashKey(K) != base).toBe(true);
      store<u8>(K + i, 0);
    }
  });

  it("extending a key's hash: every bit of both words counts", () => {
    setKey(packetKeyPtr(), 0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9);
    const base = hashExtend(0xdeadbeef, 0, 0);
    for (let i: u32 = 0; i < 32; i++) {
      expect<bool>(hashExtend(0xdeadbeef, <u32>1 << i, 0) != base).toBe(true);
      expect<bool>(hashExtend(0xdeadbeef, 0, <u32>1 << i) != base).toBe(true);
    }
    setKey(packetKeyPtr(), 0, 0);
  });

  it("names: length is part of the input (a tail of zero bytes is not the shorter name)", () => {
    setKey(nameKeyPtr(), 7, 9);
    memory.fill(K, 0, 48);
    store<u8>(K, 0x65); // "e"
    expect<bool>(hashName(K, 1) != hashName(K, 2)).toBe(true);
    expect<bool>(hashName(K, 8) != hashName(K, 9)).toBe(true);
    const em0 = hashName(K, 3);
    setKey(nameKeyPtr(), 8, 9);
    expect<bool>(hashName(K, 3) != em0).toBe(true);
    setKey(nameKeyPtr(), 0, 0);
  });

  it("spread runs of ports evenly over buckets (chi-square over 256 buckets)", () => {
    setKey(packetKeyPtr(), 0x1234, 0x5678);
    const counts = new StaticArray<i32>(256);
    memory.fill(K, 0, 48);
    for (let p: u32 = 0; p < 25600; p++) {
      store<u16>(K + 34, <u16>p);
      counts[hashKey(K) & 255]++;
    }
    let chi: f64 = 0;
    for (let i = 0; i < 256; i++) chi += Math.pow(<f64>counts[i] - 100, 2) / 100;
    // 255 degrees of freedom: the 99.9th percentile is about 330
    expect<bool>(chi < 330).toBe(true);
    setKey(packetKeyPtr(), 0, 0);
  });

  it("extending: one tuple's lines with chosen lengths or repeat counts spread over the top bits", () => {
    // pairing.ts takes its bucket from the top bits: an attacker who repeats one tuple with
    // lengths (or `Nx` counts) of his choosing must not fill one bucket
    setKey(packetKeyPtr(), 0x0123456789abcdef, 0x0fedcba987654321);
    const byLength = new StaticArray<i32>(256);
    const byCount = new StaticArray<i32>(256);
    for (let n: u32 = 0; n < 25600; n++) {
      byLength[hashExtend(0x5a5a5a5a, n | (0x10 << 24), 1) >>> 24]++;
      byCount[hashExtend(0x5a5a5a5a, 40, n + 1) >>> 24]++;
    }
    let chiLength: f64 = 0;
    let chiCount: f64 = 0;
    for (let i = 0; i < 256; i++) {
      chiLength += Math.pow(<f64>byLength[i] - 100, 2) / 100;
      chiCount += Math.pow(<f64>byCount[i] - 100, 2) / 100;
    }
    expect<bool>(chiLength < 330).toBe(true);
    expect<bool>(chiCount < 330).toBe(true);
    setKey(packetKeyPtr(), 0, 0);
  });
});
