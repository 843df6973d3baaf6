// pairing.ts's index on its own: buckets of slots taken in turn, a full bucket, the ring's reach.
// The engine's view (which lines fold) is in pairing.spec.ts.
import { DEVICE_ROUTER, observerAt, observersInit } from "../../flows/observers";
import { PAIR_NIL, POS_IN_DEC, POS_OUT_DEC, RING, pairCounted, pairFingerprint, pairHash, pairInit, pairLine } from "../../flows/pairing";

const SRC = memory.data(16);
const DST = memory.data(16);
const FP = memory.data(48);
const WINDOW: i64 = 250_000;

/** Flow-key hashes whose fingerprints (the same but for that hash) share pairing's bucket. */
function sameBucket(n: i32): u32[] {
  // the fingerprint's words that pairHash reads: IP length 60, TCP flags 0x02, count 1
  store<u32>(FP, 60 | (0x02 << 24), 40);
  store<u32>(FP, 1, 44);
  const want = pairHash(FP, 1, true) >>> 22;
  const r: u32[] = [];
  for (let kh: u32 = 1; r.length < n; kh++) if (pairHash(FP, kh, true) >>> 22 == want) r.push(kh);
  return r;
}

/** One line of the packet with flow-key hash kh at position pos on interface ifId. */
function line(kh: u32, pos: u8, ifId: u16, t: i64): u32 {
  pairFingerprint(SRC, DST, 49152, 443, 6, 4, 0, 60, 0x02, 1, kh, true);
  const i = pairLine(pos, ifId, t, WINDOW, observerAt(0));
  if (i == PAIR_NIL) pairCounted(0, 0, true);
  return i;
}

function setup(): void {
  observersInit();
  observerAt(0).device = DEVICE_ROUTER;
  pairInit();
  store<u32>(SRC, 0x0500000a, 12); // addresses are opaque to the index: any 16 bytes
  store<u32>(DST, 0x14643fc6, 12);
}

describe("pairing index", () => {
  it("finds a packet's egress line among fifteen others in its bucket", () => {
    setup();
    const kh = sameBucket(16);
    for (let k = 0; k < 16; k++) expect<u32>(line(kh[k], POS_IN_DEC, 1, <i64>k)).toBe(PAIR_NIL);
    expect<u32>(line(kh[7], POS_OUT_DEC, 2, 20)).toBe(7);
    expect<u32>(line(kh[7], POS_OUT_DEC, 2, 21)).toBe(PAIR_NIL); // its egress position is taken
  });
  it("pushes a full bucket's oldest packet out for the seventeenth, and only that one", () => {
    setup();
    const kh = sameBucket(17);
    for (let k = 0; k < 17; k++) expect<u32>(line(kh[k], POS_IN_DEC, 1, <i64>k)).toBe(PAIR_NIL);
    for (let k = 1; k < 17; k++) expect<u32>(line(kh[k], POS_OUT_DEC, 2, 30 + <i64>k)).toBe(<u32>k);
    expect<u32>(line(kh[0], POS_OUT_DEC, 2, 50)).toBe(PAIR_NIL);
  });
  it("takes the oldest of packets with one fingerprint", () => {
    setup();
    const kh = sameBucket(1);
    expect<u32>(line(kh[0], POS_IN_DEC, 1, 0)).toBe(PAIR_NIL); // ring slot 0
    expect<u32>(line(kh[0], POS_IN_DEC, 1, 1)).toBe(PAIR_NIL); // slot 1
    expect<u32>(line(kh[0], POS_OUT_DEC, 2, 2)).toBe(0);
    expect<u32>(line(kh[0], POS_OUT_DEC, 2, 3)).toBe(1);
  });
  it("reaches RING - 1 packets back, not RING", () => {
    for (let fillers: u32 = RING - 2; fillers <= RING - 1; fillers++) {
      setup();
      expect<u32>(line(7, POS_IN_DEC, 1, 0)).toBe(PAIR_NIL); // ring slot 0
      for (let k: u32 = 0; k < fillers; k++) line(1000 + k, POS_IN_DEC, 1, 1);
      expect<u32>(line(7, POS_OUT_DEC, 2, 2)).toBe(fillers == RING - 2 ? 0 : PAIR_NIL);
    }
  });
});
