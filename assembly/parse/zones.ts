// Per-logging-host time zones: the `utc_offset` of an `observers` entry (config.ts).
//
// A relay mixes firewalls in different zones, and ipmon writes each one's local time. The host
// is the syslog header's host field, which comes before ipmon's time, so the envelope looks the
// host up here and places the line's time with that host's offset (envelope.ts).
//
//   names  ┌──────────────────────────────┐  the host names, appended (TEXT_CAP bytes)
//   zones  ┌────────────┬───────┬────────┐ × ZONE_CAP
//          │ offset u32 │ len u16│ pad u16│ name at `offset` in names; offset in minutes beside
//          └────────────┴───────┴────────┘
// Few hosts are configured, so a lookup is a linear scan, done only when the host differs
// from the last line's (consecutive lines nearly always share it).

// @ts-ignore: decorator
@inline const ZONE_CAP: i32 = 1024;
// @ts-ignore: decorator
@inline const TEXT_CAP: u32 = 64 * 1024;
// @ts-ignore: decorator
@inline const LAST_CAP: i32 = 256;

const names: usize = memory.data(<i32>TEXT_CAP);
const nameAt: usize = memory.data(ZONE_CAP * 4);
const nameLen: usize = memory.data(ZONE_CAP * 2);
const offsets: usize = memory.data(ZONE_CAP * 4);
let count: i32 = 0;
let textLen: u32 = 0;

// the last host looked up and what it gave
const lastName: usize = memory.data(LAST_CAP);
let lastLen: i32 = -1;
let lastZone: i32 = -1;

/** Forgets every host's zone. */
export function zonesClear(): void {
  count = 0;
  textLen = 0;
  lastLen = -1;
}

/** Gives the host named by the n bytes at ptr its own UTC offset; false when the table is full. */
export function zoneAdd(ptr: usize, n: i32, offsetMinutes: i32): bool {
  if (n <= 0 || n > 0xffff) return false;
  const i = find(ptr, n);
  if (i >= 0) {
    store<i32>(offsets + (<usize>i << 2), offsetMinutes);
    return true;
  }
  if (count >= ZONE_CAP || textLen + <u32>n > TEXT_CAP) return false;
  memory.copy(names + textLen, ptr, <usize>n);
  store<u32>(nameAt + (<usize>count << 2), textLen);
  store<u16>(nameLen + (<usize>count << 1), <u16>n);
  store<i32>(offsets + (<usize>count << 2), offsetMinutes);
  textLen += <u32>n;
  count++;
  lastLen = -1;
  return true;
}

/** Hosts with a zone of their own. */
export function zoneCount(): i32 {
  return count;
}

/** The zone of the host named by the n bytes at ptr (an index for zoneOffsetMinutes), or -1. */
export function zoneOf(ptr: usize, n: i32): i32 {
  if (count == 0) return -1;
  if (n == lastLen && memory.compare(lastName, ptr, <usize>n) == 0) return lastZone;
  const z = find(ptr, n);
  if (n <= LAST_CAP) {
    memory.copy(lastName, ptr, <usize>n);
    lastLen = n;
    lastZone = z;
  }
  return z;
}

/** UTC offset in minutes of zone z. */
export function zoneOffsetMinutes(z: i32): i32 {
  return load<i32>(offsets + (<usize>z << 2));
}

function find(ptr: usize, n: i32): i32 {
  for (let i = 0; i < count; i++) {
    if (<i32>load<u16>(nameLen + (<usize>i << 1)) == n && memory.compare(names + load<u32>(nameAt + (<usize>i << 2)), ptr, <usize>n) == 0) {
      return i;
    }
  }
  return -1;
}
