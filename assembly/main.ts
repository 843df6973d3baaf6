// The module's entry: every host ABI the one .wasm serves. Each host's glue lives in its own
// file under hosts/; everything else in assembly/ is host-agnostic.
// (Named main.ts, not index.ts: json-as 1.6.0 drops the exports of an entry named
// assembly/index.ts — assemblyscript.md §0 item 3.)

export {
  node_input, node_configure, node_process, node_advance, node_flush_some, node_flush_more, node_stats, node_snapshot, node_restore,
  node_snapshot_some, node_snapshot_more, node_snapshot_size,
  node_clock,
  out_ptr, out_len,
} from "./hosts/node";
export { lastAbortPtr as abort_message_ptr, lastAbortLen as abort_message_len } from "./hosts/abort";
export { filter_ipmon_flow } from "./hosts/fluentbit";
export { reservedStart as host_heap_start, reservedEnd as host_heap_end } from "./hosts/wamrheap";

import { reserveHostHeap } from "./hosts/wamrheap";
import { seedHashKeys } from "./hosts/wasi";

// The only start-up work (exported as _initialize, which WAMR calls at instantiation and the
// Node host calls after it). First, before anything allocates: the pages WAMR added for its
// app heap are kept from the allocator. Then the hash keys. The engine allocates its table on
// first use (engine.ts ensureEngine), so the capacity a host configures is the only one ever
// allocated.
reserveHostHeap();
seedHashKeys();
