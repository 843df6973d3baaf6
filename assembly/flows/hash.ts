// Hashes of keys made of packet fields (the flow table's index, the fragment cache). Every
// hash over fields a packet's sender chooses goes through this file, so there is one place to
// make it resistant to crafted input.

/** Hash of a canonical key held in the 40-byte key area at k (same layout as Flow's head). */
// @ts-ignore: decorator
@inline export function hashKey(k: usize): u32 {
  // Multiply-xorshift over five words, then the murmur3 finaliser.
  let h: u64 = load<u64>(k) * 0x9e3779b97f4a7c15;
  h = (h ^ (h >>> 29) ^ load<u64>(k, 8)) * 0xbf58476d1ce4e5b9;
  h = (h ^ (h >>> 29) ^ load<u64>(k, 16)) * 0x94d049bb133111eb;
  h = (h ^ (h >>> 29) ^ load<u64>(k, 24)) * 0x9e3779b97f4a7c15;
  h = (h ^ (h >>> 29) ^ load<u64>(k, 32)) * 0xbf58476d1ce4e5b9;
  h ^= h >>> 31;
  return <u32>h ^ <u32>(h >>> 32);
}

/**
 * Hash of a 48-byte key at k: a packet's fingerprint (flows/pairing.ts), the 40 bytes of a
 * canonical key's layout plus two words (IP length with TCP flags, repeat count).
 */
// @ts-ignore: decorator
@inline export function hashKey48(k: usize): u32 {
  let h: u64 = load<u64>(k) * 0x9e3779b97f4a7c15;
  h = (h ^ (h >>> 29) ^ load<u64>(k, 8)) * 0xbf58476d1ce4e5b9;
  h = (h ^ (h >>> 29) ^ load<u64>(k, 16)) * 0x94d049bb133111eb;
  h = (h ^ (h >>> 29) ^ load<u64>(k, 24)) * 0x9e3779b97f4a7c15;
  h = (h ^ (h >>> 29) ^ load<u64>(k, 32)) * 0xbf58476d1ce4e5b9;
  h = (h ^ (h >>> 29) ^ load<u64>(k, 40)) * 0x94d049bb133111eb;
  h ^= h >>> 31;
  return <u32>h ^ <u32>(h >>> 32);
}
