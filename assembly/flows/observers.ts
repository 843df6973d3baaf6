// Logging hosts ("observers"): what each firewall in a relayed stream keeps for itself.
//
// Firewalls in one stream differ in clock, time zone and topology, so each keeps its own
// clock (timers of its flows run on it, max_clock_step guards it), its own sweep schedule,
// its own timer lists (flowtable.ts) and its pairing settings (device, judged a router).
//
//   HOST_OF  u16 per name id (intern.ts ids): 0 = slot 0, else the host's slot
//   slots    ┌───────────┬───────────┬─────┐  MAX_HOSTS × Observer; slot 0 is the host of lines
//            │ Observer 0│ Observer 1│ ... │  without a syslog header (file mode) and of ids
//            └───────────┴───────────┴─────┘  never given a slot; slots are handed out in order
//
// MAX_HOSTS matches the ids intern.ts keeps for logging hosts, so a host that has a name id
// also gets a slot unless more than 1024 distinct hosts share one stream.

import { EMPTY_ID } from "./intern";

// @ts-ignore: decorator
@inline export const MAX_HOSTS: u32 = 1025;
// @ts-ignore: decorator
@inline const NAME_IDS: u32 = 8192;
/** No slot (too many hosts). */
// @ts-ignore: decorator
@inline export const NO_HOST: u32 = 0xffffffff;

// device settings (config.ts `device`)
// @ts-ignore: decorator
@inline export const DEVICE_AUTO: u8 = 0;
// @ts-ignore: decorator
@inline export const DEVICE_HOST: u8 = 1;
// @ts-ignore: decorator
@inline export const DEVICE_ROUTER: u8 = 2;

/**
 * One logging host.
 *
 *   0 line time   8 offset   16 pending jump   24 next sweep   32 name id, device, judged,
 *   first interface, local networks, flags
 */
@unmanaged
export class Observer {
  /** The latest time of the host's own lines (µs), 0 before its first dated line. */
  lineUs: i64;
  /**
   * Where the host's clock stands against the stream clock: while the host is quiet its clock
   * is the stream clock plus this (engine.ts hostClock), so a firewall hours apart stays apart.
   */
  offsetUs: i64;
  /** Time of an unconfirmed jump of this host's clock (max_clock_step), 0 if none. */
  pendingJumpUs: i64;
  /** None of this host's flows expires before its clock reaches this time. */
  nextSweepUs: i64;
  /** intern.ts id of the host name (EMPTY_ID for slot 0). */
  nameId: u16;
  /** DEVICE_* as configured for this host. */
  device: u8;
  /** Judged a router from its own lines (device auto; pairing.ts). */
  judged: u8;
  /** The first interface the host logged on (intern.ts id). */
  firstIf: u16;
  /** Index of the host's local_networks set (localnets.ts), 0 = the top-level one. */
  nets: u16;
  /** The host has logged on more than one interface. */
  multiIf: u8;
  pad0: u8;
  pad1: u16;
}

/** Bytes of one Observer. */
export const OBSERVER_SIZE: u32 = <u32>offsetof<Observer>();

const HOST_OF: usize = memory.data(<i32>(NAME_IDS * 2));
const SLOTS: usize = memory.data(<i32>(MAX_HOSTS * OBSERVER_SIZE));
let used: u32 = 1;

/** Forgets every host but slot 0, which is reset. */
export function observersInit(): void {
  memory.fill(HOST_OF, 0, NAME_IDS * 2);
  memory.fill(SLOTS, 0, <usize>MAX_HOSTS * OBSERVER_SIZE);
  used = 1;
  observerAt(0).nextSweepUs = i64.MAX_VALUE;
}

/** Slots handed out so far (slot 0 included): hosts are slots 0 .. observersUsed()-1. */
export function observersUsed(): u32 {
  return used;
}

/** The host in slot i. */
// @ts-ignore: decorator
@inline export function observerAt(i: u32): Observer {
  return changetype<Observer>(SLOTS + <usize>i * OBSERVER_SIZE);
}

/** Slot of the host with name id `id` (0 for the empty name and for ids without a slot). */
// @ts-ignore: decorator
@inline export function hostOf(id: u16): u32 {
  return <u32>id < NAME_IDS ? <u32>load<u16>(HOST_OF + (<usize>id << 1)) : 0;
}

/** Slot of the host with name id `id`, handing out a new one on first sight; NO_HOST when full. */
export function hostFor(id: u16): u32 {
  if (id == EMPTY_ID) return 0;
  if (<u32>id >= NAME_IDS) return NO_HOST;
  const s = <u32>load<u16>(HOST_OF + (<usize>id << 1));
  if (s != 0) return s;
  if (used >= MAX_HOSTS) return NO_HOST;
  const slot = used++;
  store<u16>(HOST_OF + (<usize>id << 1), <u16>slot);
  const h = observerAt(slot);
  memory.fill(changetype<usize>(h), 0, OBSERVER_SIZE);
  h.nameId = id;
  h.nextSweepUs = i64.MAX_VALUE;
  return slot;
}
