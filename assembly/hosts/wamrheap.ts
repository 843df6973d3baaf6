// Keeps WAMR's app heap out of AssemblyScript's hands (fluent-bit-wasm.md §1.5).
//
// The module exports no malloc/free and no runtime, so Fluent Bit's WAMR copies each call's tag
// and record into an app heap of its own, in native code: no wasm calls per copy (4 a record
// through an exported allocator, about 5 µs interpreted and 1 µs under AOT, §4). WAMR inserts
// that heap at the end of the declared initial memory and adds pages for it before the module
// starts (wasm_runtime.c memory_instantiate, "Insert app heap before new page"):
//
//   [ static data | TLSF root | free ... ][ WAMR app heap ][ ... ]
//   0            __heap_base              ^DECLARED_PAGES  ^memory.size() at start
//
// AssemblyScript's TLSF, on its first allocation, takes everything from __heap_base up to
// memory.size() as one free block, WAMR's heap included, and would hand it out ("app heap
// corrupted" after a few records). So at start the module allocates, once and for good, one
// block that spans WAMR's heap. TLSF writes a block's header at its start and, when it splits
// a block, the rest's header and list links at the split: every such write must fall below
// WAMR's heap or in the last KiB of the pages WAMR added, which its heap leaves out (WAMR's
// heap is those pages less 1 KiB; TLSF's own end marker already sits there). So:
//
//   [ taken ][ filler ][ kept ........................................... ][split][end]
//            ^x        ^y (16 below WAMR's heap)                     hostEnd-20 ^      ^hostEnd
//
// A filler moves the free block's start to y, then one allocation whose size is a TLSF class
// boundary takes [y, hostEnd-20); the filler goes back to TLSF. Sizes follow tlsf.ts (0.28.20:
// 4-byte headers, 16-byte alignment, four second-level bits); every address is checked, and a
// mismatch stops the module at load instead of corrupting records later. TLSF grows memory past
// WAMR's pages for everything after. Under Node, and under a WAMR given an allocator,
// memory.size() at start is the declared size and nothing is reserved.

/** Pages the module declares as initial memory: asconfig.json "initialMemory" (a test checks). */
// @ts-ignore: decorator
@inline export const DECLARED_PAGES: i32 = 16;
/** TLSF's block header (tlsf.ts BLOCK_OVERHEAD). */
// @ts-ignore: decorator
@inline const HEADER: usize = 4;
/** TLSF's second-level bits: size classes are 16 steps per power of two (tlsf.ts SL_BITS). */
// @ts-ignore: decorator
@inline const SL_BITS: usize = 4;
/** Where the kept block ends, below the end of WAMR's pages: the rest's header goes there. */
// @ts-ignore: decorator
@inline const SPLIT_BELOW_END: usize = 20;
/** A probe for where TLSF's free block starts. */
// @ts-ignore: decorator
@inline const PROBE: usize = 1024;

/** Start of the block kept from TLSF over the host's heap, 0 if the host inserted nothing. */
export let reservedStart: usize = 0;
/** End of the pages the host inserted (its app heap), 0 if nothing. */
export let reservedEnd: usize = 0;

/** Takes the pages a host added beyond the declared initial memory away from the allocator. */
export function reserveHostHeap(): void {
  const hostStart = <usize>DECLARED_PAGES << 16;
  const hostEnd = <usize>memory.size() << 16;
  if (hostEnd <= hostStart) return;
  // The kept block's payload: a class boundary M (so a request of M - 4 finds the free block
  // of payload M + 12 and leaves a 16-byte rest), large enough to start below hostStart.
  const boundary = classBoundaryAtLeast(hostEnd - hostStart);
  const y = hostEnd - SPLIT_BELOW_END - boundary; // the kept block's header
  const probe = heap.alloc(PROBE);
  const x = probe - HEADER; // the free block's header: nothing is allocated above it yet
  heap.free(probe);
  if (y + 16 > hostStart || y < x + 4 * HEADER) unreachable(); // WAMR's heap too large for this layout
  const filler = heap.alloc(y - x - HEADER);
  const kept = heap.alloc(boundary - HEADER);
  if (filler != x + HEADER || kept != y + HEADER) unreachable(); // TLSF placed them elsewhere
  heap.free(filler);
  reservedStart = kept;
  reservedEnd = hostEnd;
}

/** The smallest TLSF size-class boundary at or above `size` (16 classes per power of two). */
export function classBoundaryAtLeast(size: usize): usize {
  const step = <usize>1 << (<usize>(31 - clz(size)) - SL_BITS);
  return (size + step - 1) & ~(step - 1);
}
