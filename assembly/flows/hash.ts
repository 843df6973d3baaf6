// Hashes of keys made of packet fields (the flow table's index, pairing, the fragment cache,
// scan tracking) and of names (intern.ts). Every hash over fields a packet's sender chooses
// goes through this file, keyed with a per-process secret, so nobody who reads this code can
// compute tuples that fall into one probe run of an index (issue: crafted blocked SYNs made
// each line walk the whole run, quadratic in the attack).
//
// SipHash-1-3 (Aumasson and Bernstein; the variant Rust's HashMap uses): a keyed PRF over
// 64-bit words, 128-bit key. Without the key an attacker cannot predict which bucket a tuple
// takes, so probe runs stay as short as for random tuples. It costs about 40 ns a line more
// than the unkeyed multiply-xorshift it replaces (bench: in-process rate).
//
//   KEYS  ┌──────────── packet key (16) ────────────┬───────────── name key (16) ─────────────┐
//         │ k0 (u64) │ k1 (u64)                      │ k0 (u64) │ k1 (u64)                     │
//         └─────────────────────────────────────────┴──────────────────────────────────────────┘
//
// The packet key is carried in snapshots (snapshot.ts), so a restarted process keeps the same
// one; the name key stays per process, like the name ids it protects. Both come from the host
// (hosts/wasi.ts: WASI random_get, which Fluent Bit's WAMR and the Node host provide). Until a
// host sets them they are zero: specs get a fixed, still keyed, function.

const KEYS: usize = memory.data(32);

/** Where the 16-byte packet key lives (snapshot.ts copies it in and out). */
export function packetKeyPtr(): usize {
  return KEYS;
}

/** Where the 16-byte name key lives (hosts/wasi.ts fills it). */
export function nameKeyPtr(): usize {
  return KEYS + 16;
}

// SipHash state, in locals: v0..v3 as globals would cost loads and stores in the hot loop, so
// each entry point below runs its own rounds over four locals, with SIPROUND inlined.

// @ts-ignore: decorator
@inline function rotl(x: u64, b: u64): u64 {
  return (x << b) | (x >>> (64 - b));
}

/** SipHash-1-3 of `words` 64-bit words at p, under the key at k; the low 32 bits. */
// @ts-ignore: decorator
@inline function sip13(k: usize, p: usize, words: usize, lastWord: u64, bytes: u64): u32 {
  const k0 = load<u64>(k);
  const k1 = load<u64>(k, 8);
  let v0: u64 = k0 ^ 0x736f6d6570736575;
  let v1: u64 = k1 ^ 0x646f72616e646f6d;
  let v2: u64 = k0 ^ 0x6c7967656e657261;
  let v3: u64 = k1 ^ 0x7465646279746573;
  for (let i: usize = 0; i <= words; i++) {
    // the words at p, then the final word: the tail bytes with the length in the top byte
    const m: u64 = i < words ? load<u64>(p + (i << 3)) : lastWord | (bytes << 56);
    v3 ^= m;
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
    v0 ^= m;
  }
  v2 ^= 0xff;
  for (let r = 0; r < 3; r++) {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }
  const h = v0 ^ v1 ^ v2 ^ v3;
  return <u32>h ^ <u32>(h >>> 32);
}

/** Keyed hash of a canonical key held in the 40-byte key area at k (Flow's head layout). */
export function hashKey(k: usize): u32 {
  return sip13(KEYS, k, 5, 0, 40);
}

/**
 * Keyed hash of a key's hash and two more words (a packet's fingerprint in flows/pairing.ts:
 * its flow key's hashKey, then IP length and flags, repeat count): a second SipHash over the
 * whole fingerprint cost pairing a tenth of the line rate. Multiply-shift (Dietzfelbinger et
 * al.) under a secret odd multiplier derived from the packet key: for any two distinct inputs
 * the chance that the top bits agree is about 2 in 2^bits whatever an attacker picks, so the
 * lines of one tuple with chosen lengths and flags spread over the buckets like random ones.
 */
export function hashExtend(keyHash: u32, a: u32, b: u32): u32 {
  // the constant keeps the multiplier large while the key is zero (specs)
  const m = (load<u64>(KEYS) ^ rotl(load<u64>(KEYS, 8), 29) ^ 0x9e3779b97f4a7c15) | 1;
  const x = <u64>(keyHash ^ a) | (<u64>b << 32);
  return <u32>((x * m) >>> 32);
}

/** Keyed hash of n bytes at p under the name key (logging hosts, interfaces, rules). */
export function hashName(p: usize, n: i32): u32 {
  const words = <usize>n >>> 3;
  let last: u64 = 0;
  const tail = p + (words << 3);
  for (let i: i32 = (n & 7) - 1; i >= 0; i--) last = (last << 8) | <u64>load<u8>(tail + <usize>i);
  return sip13(KEYS + 16, p, words, last, <u64>n);
}
