// Host ABI for the Node.js host (host/engine.mjs): batches of lines in, NDJSON out.
//
// Contract (pointer/length, no strings cross the boundary):
//   node_input(n)     → pointer to an input buffer of at least n bytes, owned by the module.
//   node_configure(n) → the first n input bytes are the JSON configuration; 0 on success,
//                       else -1 with the error text as the output (out_ptr, out_len()).
//   node_process(n)   → the first n input bytes are whole lines separated by \n (a final line
//                       without \n counts as whole); returns the output length.
//   node_advance(t)   → the clock is now t µs of event time (never moves back); sweeps.
//   node_flush_some(limit) → open flows are reported with end reason forced_end until the
//                       output holds `limit` bytes; node_flush_more() is then 1 while flows
//                       are left (a full table's records come in pieces, not one buffer).
//   node_stats()      → one stats record.
//   node_snapshot()   → the engine state as a binary blob (snapshot.ts); node_restore(n) loads
//                       one from the input buffer (-1 and a message if it is corrupt/foreign).
//   node_snapshot_some(limit) → the next piece of the blob, about `limit` bytes; while
//                       node_snapshot_more() is 1 the next call takes the piece after it. The
//                       pieces in order are node_snapshot()'s blob; any other call drops the rest.
//                       node_snapshot_size() is the whole blob's length from the first piece on.
// Output of a call is valid until the next call. Memory may grow during any call, so the host
// re-creates its views of memory.buffer after each one.

import { applyConfig, configError } from "../config";
import { advanceClock, engineClock, engineInit, flushSome, processLine, writeStats } from "../engine";
import { MODE_NDJSON, outLen, outPtr, outReset, putJsonText } from "../records/output";
import { findByte } from "../parse/line";
import { restoreSnapshot, snapshotCancel, snapshotError, snapshotSize, snapshotUnderWay, writeSnapshot, writeSnapshotSome } from "../snapshot";

/**
 * Starts a call that is not the next snapshot piece: a snapshot under way is dropped, since
 * this call may change the state its cursors point into.
 */
function begin(): void {
  snapshotCancel();
  outReset(MODE_NDJSON);
}

let input: usize = 0;
let inputCap: usize = 0;

/** Returns a module-owned input buffer of at least n bytes. */
export function node_input(n: i32): usize {
  if (<usize>n > inputCap) {
    let c: usize = inputCap == 0 ? 1 << 16 : inputCap;
    while (c < <usize>n) c <<= 1;
    input = input == 0 ? heap.alloc(c) : heap.realloc(input, c);
    inputCap = c;
  }
  return input;
}

/** Applies the JSON configuration in the input buffer and resets the engine. */
export function node_configure(n: i32): i32 {
  begin();
  const text = String.UTF8.decodeUnsafe(input, <usize>n);
  if (!applyConfig(text)) {
    const msg = String.UTF8.encode(configError());
    putJsonText(changetype<usize>(msg), <usize>msg.byteLength);
    return -1;
  }
  engineInit();
  __collect(); // the configuration's strings and json-as objects (minimal runtime: on request)
  return 0;
}

/** Processes n bytes of whole lines from the input buffer; returns the output length. */
export function node_process(n: i32): i32 {
  __collect(); // a safe point; the engine allocates nothing managed, so this is nearly free
  begin();
  let p = input;
  const end = input + <usize>n;
  while (p < end) {
    const q = findByte(p, end, 0x0a);
    processLine(p, <i32>(q - p));
    p = q + 1;
  }
  return outLen();
}

/** Moves the event clock to t (µs since the epoch) and reports flows that expired. */
export function node_advance(t: i64): i32 {
  begin();
  advanceClock(t);
  return outLen();
}

let flushLeft = false;

/** Reports open flows (forced_end) until the output holds `limit` bytes; returns its length. */
export function node_flush_some(limit: i32): i32 {
  begin();
  flushLeft = !flushSome(limit);
  return outLen();
}

/** 1 if the last node_flush_some left flows to report. */
export function node_flush_more(): i32 {
  return flushLeft ? 1 : 0;
}

/** Writes the stats record. */
export function node_stats(): i32 {
  begin();
  writeStats();
  return outLen();
}

/** The engine clock: the latest event time seen, µs since the epoch (0 before any dated line). */
export function node_clock(): i64 {
  return engineClock();
}

/** Pointer to the output of the last call. */
export function out_ptr(): usize {
  return outPtr();
}

/** Length of the output of the last call (also returned by most calls). */
export function out_len(): i32 {
  return outLen();
}

/** Writes the engine state as a versioned binary blob (the output); returns its length. */
export function node_snapshot(): i32 {
  begin();
  writeSnapshot();
  return outLen();
}

/**
 * Writes the next piece of the state blob, stopping between records once the output holds
 * `limit` bytes (a table's state never needs an output buffer its size); returns its length.
 */
export function node_snapshot_some(limit: i32): i32 {
  outReset(MODE_NDJSON);
  writeSnapshotSome(limit < 1 ? 1 : limit);
  return outLen();
}

/** 1 while the snapshot started by node_snapshot_some has pieces left. */
export function node_snapshot_more(): i32 {
  return snapshotUnderWay() ? 1 : 0;
}

/** Length of the whole blob that node_snapshot_some is writing (from its first piece on). */
export function node_snapshot_size(): i32 {
  return <i32>snapshotSize();
}

/**
 * Restores engine state from the blob in the first n input bytes. Returns the output length
 * (records of flows that no longer fit the table, usually 0), or -1 with the reason as output.
 */
export function node_restore(n: i32): i32 {
  begin();
  if (!restoreSnapshot(input, <usize>n)) {
    const msg = String.UTF8.encode(snapshotError());
    putJsonText(changetype<usize>(msg), <usize>msg.byteLength);
    return -1;
  }
  return outLen();
}
