// The allocator WAMR copies each call's tag and record into (fluent-bit-wasm.md §1.5).
//
// WAMR takes an exported malloc/free before AssemblyScript's __new/__pin/__unpin. Fluent Bit
// copies in the tag and the record, calls the filter, then frees both, so every block lives for
// one call: a bump arena that rewinds once nothing in it is live replaces the GC runtime's
// per-call object headers, pin lists and sweeps (measured on Fluent Bit 5.1.1: README §Fluent Bit).
//
//   arena: [ block | block | ... free ... ]      top rewinds to 0 when live == 0
//           ^arenaStart                    ^arenaStart + arenaSize
//
// A block that does not fit while others are live comes from the raw heap (heap.alloc) and goes
// back to it on free; the arena is replaced by a bigger one only when it is empty.

// @ts-ignore: decorator
@inline const ARENA_MIN: usize = 64 << 10;
// @ts-ignore: decorator
@inline const ALIGN_MASK: usize = 15;

let arenaStart: usize = 0;
let arenaSize: usize = 0;
let top: usize = 0;
let live: u32 = 0;

/** WAMR's module_malloc: `size` bytes valid until free, 16-byte aligned. */
export function malloc(size: usize): usize {
  const need = max((size + ALIGN_MASK) & ~ALIGN_MASK, ALIGN_MASK + 1);
  if (top + need > arenaSize) {
    if (live != 0) return heap.alloc(size);
    grow(need);
  }
  const p = arenaStart + top;
  top += need;
  live++;
  return p;
}

/** WAMR's module_free: a block from malloc is returned; the arena rewinds when it is empty. */
export function free(p: usize): void {
  if (p == 0) return;
  if (p >= arenaStart && p < arenaStart + arenaSize) {
    if (--live == 0) top = 0;
  } else {
    heap.free(p);
  }
}

/** Replaces the empty arena by one that holds `need` bytes (doubling, so records grow it rarely). */
function grow(need: usize): void {
  let size = max(arenaSize << 1, ARENA_MIN);
  while (size < need + ALIGN_MASK + 1) size <<= 1;
  if (arenaStart != 0) heap.free(arenaStart);
  arenaStart = heap.alloc(size);
  arenaSize = size;
  top = 0;
}
