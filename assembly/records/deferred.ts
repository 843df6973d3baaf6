// Deferred records: complete JSON records that became due in one host call and wait for a
// later call to leave, oldest first. Fluent Bit's filter returns one record per call
// (fluent-bit-wasm.md §1.2); handing back the extra ones on the next calls, most of which
// return nothing, spares the envelope and its rewrite_tag/Lua split (hosts/fluentbit.ts).
//
// One region from heap.alloc, taken on first use and kept: the records back to back with a
// comma between them, so that the span is already the body of a JSON array.
//
//   region        region+first                                  region+end      +DEFER_BYTES
//   ├── taken ────┼── r1 ──┤,├── r2 ──┤, … ├── rN ──┤───────────┼── free ───────┤
//
// The length of each record waits in a ring of DEFER_MAX slots beside it.

/** Most records kept waiting at once; the host returns them all in one envelope beyond it. */
// @ts-ignore: decorator
@inline export const DEFER_MAX: i32 = 16;
/** Most bytes kept waiting at once (records and the commas between them). */
// @ts-ignore: decorator
@inline export const DEFER_BYTES: usize = 64 << 10;

let region: usize = 0;
let first: usize = 0;
let end: usize = 0;
let count: i32 = 0;
let head: i32 = 0;
const lengths: usize = memory.data(DEFER_MAX << 2);

/** Number of records waiting. */
export function deferredCount(): i32 {
  return count;
}

/** Bytes of the waiting span: the records and the commas between them. */
export function deferredSpanLen(): usize {
  return end - first;
}

/** Address of the waiting span, the oldest record first. */
export function deferredSpan(): usize {
  return region + first;
}

/** Whether records of `bytes` in total (commas included) and `records` in number still fit. */
export function deferFits(records: i32, bytes: usize): bool {
  if (count + records > DEFER_MAX) return false;
  const sep: usize = count > 0 ? 1 : 0;
  return end - first + sep + bytes <= DEFER_BYTES;
}

/** Appends one record of n bytes to the waiting ones; the caller checked deferFits. */
export function defer(src: usize, n: usize): void {
  if (region == 0) region = heap.alloc(DEFER_BYTES);
  const sep: usize = count > 0 ? 1 : 0;
  if (end + sep + n > DEFER_BYTES) {
    // what was taken from the front is free again: move the waiting span back to the start
    memory.copy(region, region + first, end - first);
    end -= first;
    first = 0;
  }
  if (sep != 0) store<u8>(region + end, 0x2c);
  memory.copy(region + end + sep, src, n);
  end += sep + n;
  store<u32>(lengths + (<usize>((head + count) % DEFER_MAX) << 2), <u32>n);
  count++;
}

/** Length of the oldest waiting record (at deferredSpan()); only when one waits. */
export function oldestLen(): usize {
  return <usize>load<u32>(lengths + (<usize>head << 2));
}

/** Drops the oldest waiting record, once the caller has copied it out. */
export function dropOldest(): void {
  const n = oldestLen();
  head = (head + 1) % DEFER_MAX;
  count--;
  if (count == 0) {
    first = 0;
    end = 0;
  } else {
    first += n + 1; // and its comma
  }
}

/** Forgets every waiting record, once the caller has copied the span out. */
export function dropAll(): void {
  first = 0;
  end = 0;
  count = 0;
  head = 0;
}
