import { classBoundaryAtLeast } from "../../hosts/wamrheap";

// The reservation itself needs pages a host added before start: host-test/fluentbit.test.mjs
// emulates WAMR's insertion and checks the heap is never written.

describe("wamrheap", () => {
  test("class boundaries: 16 steps per power of two, the smallest at or above the size", () => {
    expect(classBoundaryAtLeast(65536)).toBe(65536); // one page: a power of two
    expect(classBoundaryAtLeast(65532)).toBe(65536); // step 2048 below 64 KiB: 63488 is too small
    expect(classBoundaryAtLeast(3 * 65536)).toBe(3 * 65536); // step 8192 divides it
    expect(classBoundaryAtLeast(33 * 65536)).toBe(34 * 65536); // step 131072 above 2 MiB
    expect(classBoundaryAtLeast(257)).toBe(272); // step 16
  });

  test("a boundary is never below the size nor a step above it", () => {
    for (let size: usize = 256; size < (64 << 20); size = size * 3 / 2 + 7) {
      const b = classBoundaryAtLeast(size);
      const step = <usize>1 << (<usize>(31 - clz(size)) - 4);
      expect(b >= size).toBe(true);
      expect(b - size < step).toBe(true);
      expect(b % step).toBe(0);
    }
  });
});
