// A small string pool for the names a flow refers to: observers (the syslog host), interfaces
// and rules. A firewall has few of each, so flows store a u16 id instead of the text.
//
//   ids:   open-addressed u16 table (INDEX_SIZE entries), 0 = empty, else id
//   names: NAME_CAP ids × (offset u32, length u16, hash u16) in `entries`
//   text:  the bytes, appended, never moved, TEXT_CAP in all
//
// Allocation happens once at start-up. When the pool is full a new name gets OVERFLOW_ID,
// which is written as "(too many names)" rather than silently merging two names; a logging
// host that gets it is not keyed at all (engine.ts), so two firewalls never share a flow.

import { hashName } from "./hash";

// @ts-ignore: decorator
@inline const NAME_CAP: u32 = 8192;
// @ts-ignore: decorator
@inline const INDEX_SIZE: u32 = 16384;
// @ts-ignore: decorator
@inline const TEXT_CAP: u32 = 256 * 1024;
// @ts-ignore: decorator
@inline const ENTRY_SIZE: u32 = 8;
/** Id of the empty name. */
// @ts-ignore: decorator
@inline export const EMPTY_ID: u16 = 0;
/** Id given to names that no longer fit in the pool. */
// @ts-ignore: decorator
@inline export const OVERFLOW_ID: u16 = 0xffff;

let index: usize = 0;
let entries: usize = 0;
let text: usize = 0;
let textLen: u32 = 0;
let count: u32 = 1; // id 0 is the empty name

function init(): void {
  index = heap.alloc(INDEX_SIZE * 2);
  memory.fill(index, 0, INDEX_SIZE * 2);
  entries = heap.alloc(NAME_CAP * ENTRY_SIZE);
  text = heap.alloc(TEXT_CAP);
}

// Room kept for logging hosts: they are part of the flow key, so a pool filled by rule or
// interface names must never leave a new firewall without an id (two hosts would merge).
// @ts-ignore: decorator
@inline const OBSERVER_RESERVE: u32 = 1024;
// @ts-ignore: decorator
@inline const OBSERVER_TEXT_RESERVE: u32 = 64 * 1024;

/**
 * Returns the id of the name at (ptr, n), adding it if new. Logging hosts (`observer`) may use
 * the whole pool; other names stop short of the part kept for hosts.
 */
export function intern(ptr: usize, n: i32, observer: bool = false): u16 {
  if (n <= 0) return EMPTY_ID;
  if (index == 0) init();
  const h = hashName(ptr, n); // keyed: names reach us from the network too (--listen)
  let slot = h & (INDEX_SIZE - 1);
  while (true) {
    const id = <u32>load<u16>(index + (slot << 1));
    if (id == 0) break;
    const ent = entries + id * ENTRY_SIZE;
    if (<i32>load<u16>(ent + 4) == n && <u32>load<u16>(ent + 6) == (h >>> 16) && memory.compare(text + load<u32>(ent), ptr, n) == 0) {
      return <u16>id;
    }
    slot = (slot + 1) & (INDEX_SIZE - 1);
  }
  const capNames = observer ? NAME_CAP : NAME_CAP - OBSERVER_RESERVE;
  const capText = observer ? TEXT_CAP : TEXT_CAP - OBSERVER_TEXT_RESERVE;
  if (count >= capNames || textLen + <u32>n > capText || n > 0xffff) return OVERFLOW_ID;
  const id = count++;
  const ent = entries + id * ENTRY_SIZE;
  memory.copy(text + textLen, ptr, n);
  store<u32>(ent, textLen);
  store<u16>(ent + 4, <u16>n);
  store<u16>(ent + 6, <u16>(h >>> 16));
  textLen += <u32>n;
  store<u16>(index + (slot << 1), <u16>id);
  return <u16>id;
}

/** Pointer to the bytes of a name id (valid for the life of the module). */
export function namePtr(id: u16): usize {
  if (id == EMPTY_ID || id == OVERFLOW_ID || index == 0) return 0;
  return text + load<u32>(entries + <u32>id * ENTRY_SIZE);
}

/** Length in bytes of a name id. */
export function nameLen(id: u16): i32 {
  if (id == EMPTY_ID || id == OVERFLOW_ID || index == 0) return 0;
  return <i32>load<u16>(entries + <u32>id * ENTRY_SIZE + 4);
}

/** Number of names in the pool (including the empty name). */
export function nameCount(): u32 {
  return count;
}

/** FNV-1a's starting value: hashBytesFrom(FNV_OFFSET, …) is hashBytes. */
// @ts-ignore: decorator
@inline export const FNV_OFFSET: u32 = 2166136261;

/** FNV-1a over the bytes, unkeyed: a checksum (snapshot.ts), not an index hash. */
export function hashBytes(ptr: usize, n: i32): u32 {
  return hashBytesFrom(FNV_OFFSET, ptr, n);
}

/** FNV-1a over n more bytes, going on from h, the hash of the bytes before (a blob in pieces). */
export function hashBytesFrom(h: u32, ptr: usize, n: i32): u32 {
  for (let i = 0; i < n; i++) {
    h = (h ^ <u32>load<u8>(ptr + i)) * 16777619;
  }
  return h;
}
