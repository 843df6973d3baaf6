// Civil time <-> microseconds since the Unix epoch (UTC), without allocation.
// Algorithms: Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).

import { putByte, putPadded, putU64 } from "../records/output";

// @ts-ignore: decorator
@inline export const US_PER_SECOND: i64 = 1_000_000;
// @ts-ignore: decorator
@inline export const US_PER_DAY: i64 = 86_400_000_000;

/** Days since 1970-01-01 for a civil date (month 1-12). */
export function daysFromCivil(y: i32, m: i32, d: i32): i64 {
  y -= m <= 2 ? 1 : 0;
  const era = (y >= 0 ? y : y - 399) / 400;
  const yoe = y - era * 400;
  const mp = (m + 9) % 12;
  const doy = (153 * mp + 2) / 5 + d - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return <i64>era * 146097 + <i64>doe - 719468;
}

/** Start of the day (µs) that contains t, also for times before 1970. */
export function dayStart(t: i64): i64 {
  return t - (((t % US_PER_DAY) + US_PER_DAY) % US_PER_DAY);
}

/** Microseconds since the epoch for a civil date and time of day. */
export function civilToUs(y: i32, mo: i32, d: i32, h: i32, mi: i32, s: i32, us: i32): i64 {
  return daysFromCivil(y, mo, d) * US_PER_DAY + (<i64>(h * 3600 + mi * 60 + s)) * US_PER_SECOND + <i64>us;
}

/** True if the date exists (e.g. rejects 31/02). */
export function validDate(y: i32, m: i32, d: i32): bool {
  if (m < 1 || m > 12 || d < 1) return false;
  let dim = 31;
  if (m == 4 || m == 6 || m == 9 || m == 11) dim = 30;
  else if (m == 2) dim = (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
  return d <= dim;
}

/** Writes an RFC 3339 UTC timestamp with microseconds, e.g. 2024-03-03T11:20:44.873412Z (no quotes). */
export function putIsoTime(t: i64): void {
  let days = t / US_PER_DAY;
  let rem = t % US_PER_DAY;
  if (rem < 0) {
    rem += US_PER_DAY;
    days -= 1;
  }
  // civil_from_days
  const z = days + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const doe = <i32>(z - era * 146097);
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const d = doy - (153 * mp + 2) / 5 + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = <i64>yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y >= 0 && y <= 9999) putPadded(<u32>y, 4);
  else putU64(<u64>(y < 0 ? 0 : y));
  putByte(0x2d);
  putPadded(<u32>m, 2);
  putByte(0x2d);
  putPadded(<u32>d, 2);
  putByte(0x54);
  const secs = <u32>(rem / US_PER_SECOND);
  putPadded(secs / 3600, 2);
  putByte(0x3a);
  putPadded((secs / 60) % 60, 2);
  putByte(0x3a);
  putPadded(secs % 60, 2);
  putByte(0x2e);
  putPadded(<u32>(rem % US_PER_SECOND), 6);
  putByte(0x5a);
}

/** Month number 1-12 for a three-letter English month abbreviation at p, or 0. */
export function monthFromName(p: usize): i32 {
  // Pack the three letters case-insensitively into one word and compare.
  const w = ((<u32>load<u8>(p) | 0x20) << 16) | ((<u32>load<u8>(p + 1) | 0x20) << 8) | (<u32>load<u8>(p + 2) | 0x20);
  switch (w) {
    case 0x6a616e: return 1; // jan
    case 0x666562: return 2; // feb
    case 0x6d6172: return 3; // mar
    case 0x617072: return 4; // apr
    case 0x6d6179: return 5; // may
    case 0x6a756e: return 6; // jun
    case 0x6a756c: return 7; // jul
    case 0x617567: return 8; // aug
    case 0x736570: return 9; // sep
    case 0x6f6374: return 10; // oct
    case 0x6e6f76: return 11; // nov
    case 0x646563: return 12; // dec
  }
  return 0;
}
