import { daysFromCivil, civilToUs, validDate, putIsoTime, monthFromName, US_PER_SECOND, US_PER_DAY } from "../../parse/clock";
import { outReset, outPtr, outLen, MODE_NDJSON } from "../../records/output";

const TEXT = memory.data(8);

function iso(t: i64): string {
  outReset(MODE_NDJSON);
  putIsoTime(t);
  return String.UTF8.decodeUnsafe(outPtr(), <usize>outLen());
}

function month(s: string): i32 {
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, TEXT);
  return monthFromName(TEXT);
}

describe("constants", () => {
  it("are microseconds", () => {
    expect<i64>(US_PER_SECOND).toBe(1000000);
    expect<i64>(US_PER_DAY).toBe(86400000000);
  });
});

describe("daysFromCivil", () => {
  it("counts days from 1970-01-01", () => {
    expect<i64>(daysFromCivil(1970, 1, 1)).toBe(0);
    expect<i64>(daysFromCivil(1970, 1, 2)).toBe(1);
    expect<i64>(daysFromCivil(1969, 12, 31)).toBe(-1);
    expect<i64>(daysFromCivil(2000, 3, 1)).toBe(11017);
  });
  it("follows the Gregorian leap rules (2024 and 2000 leap, 1900 and 2100 not)", () => {
    expect<i64>(daysFromCivil(2024, 2, 29)).toBe(19782);
    expect<i64>(daysFromCivil(2024, 3, 1)).toBe(19783);
    expect<i64>(daysFromCivil(2100, 2, 28)).toBe(47540);
    expect<i64>(daysFromCivil(2100, 3, 1)).toBe(47541);
    expect<i64>(daysFromCivil(1900, 3, 1)).toBe(-25508);
    expect<i64>(daysFromCivil(2400, 2, 29)).toBe(157113);
  });
});

describe("civilToUs", () => {
  it("combines date and time to the microsecond", () => {
    expect<i64>(civilToUs(1970, 1, 1, 0, 0, 0, 0)).toBe(0);
    expect<i64>(civilToUs(2021, 7, 26, 4, 4, 31, 438987)).toBe(1627272271438987);
    expect<i64>(civilToUs(2024, 3, 3, 11, 20, 44, 873412)).toBe(1709464844873412);
    expect<i64>(civilToUs(2024, 12, 31, 23, 59, 59, 999999)).toBe(1735689599999999);
    expect<i64>(civilToUs(2000, 1, 1, 0, 0, 0, 0)).toBe(946684800000000);
  });
  it("goes below zero before the epoch", () => {
    expect<i64>(civilToUs(1969, 12, 31, 23, 59, 59, 999999)).toBe(-1);
    expect<i64>(civilToUs(1960, 6, 15, 12, 30, 45, 123456)).toBe(-301231754876544);
    expect<i64>(civilToUs(1, 1, 1, 0, 0, 0, 0)).toBe(-62135596800000000);
  });
});

describe("validDate", () => {
  it("accepts real dates", () => {
    expect<bool>(validDate(2024, 2, 29)).toBe(true);
    expect<bool>(validDate(2000, 2, 29)).toBe(true);
    expect<bool>(validDate(2023, 12, 31)).toBe(true);
    expect<bool>(validDate(2023, 4, 30)).toBe(true);
    expect<bool>(validDate(2023, 1, 1)).toBe(true);
  });
  it("rejects impossible ones", () => {
    expect<bool>(validDate(2023, 2, 29)).toBe(false);
    expect<bool>(validDate(1900, 2, 29)).toBe(false);
    expect<bool>(validDate(2021, 2, 31)).toBe(false);
    expect<bool>(validDate(2023, 4, 31)).toBe(false);
    expect<bool>(validDate(2023, 6, 31)).toBe(false);
    expect<bool>(validDate(2023, 9, 31)).toBe(false);
    expect<bool>(validDate(2023, 11, 31)).toBe(false);
    expect<bool>(validDate(2023, 0, 1)).toBe(false);
    expect<bool>(validDate(2023, 13, 1)).toBe(false);
    expect<bool>(validDate(2023, 1, 0)).toBe(false);
    expect<bool>(validDate(2023, 1, 32)).toBe(false);
  });
});

describe("putIsoTime", () => {
  it("writes RFC 3339 UTC with six fractional digits", () => {
    expect<string>(iso(0)).toBe("1970-01-01T00:00:00.000000Z");
    expect<string>(iso(1627272271438987)).toBe("2021-07-26T04:04:31.438987Z");
    expect<string>(iso(1709464844873412)).toBe("2024-03-03T11:20:44.873412Z");
    expect<string>(iso(1709208000000001)).toBe("2024-02-29T12:00:00.000001Z");
    expect<string>(iso(1735689599999999)).toBe("2024-12-31T23:59:59.999999Z");
    expect<string>(iso(1735689600000000)).toBe("2025-01-01T00:00:00.000000Z");
  });
  it("handles times before the epoch", () => {
    expect<string>(iso(-1)).toBe("1969-12-31T23:59:59.999999Z");
    expect<string>(iso(-301231754876544)).toBe("1960-06-15T12:30:45.123456Z");
    expect<string>(iso(-62135596800000000)).toBe("0001-01-01T00:00:00.000000Z");
  });
  it("handles the year 9999 boundary", () => {
    expect<string>(iso(253402300799999999)).toBe("9999-12-31T23:59:59.999999Z");
    expect<string>(iso(253402300800000000)).toBe("10000-01-01T00:00:00.000000Z");
  });
  it("round-trips civilToUs", () => {
    expect<string>(iso(civilToUs(2038, 1, 19, 3, 14, 8, 7))).toBe("2038-01-19T03:14:08.000007Z");
    expect<string>(iso(civilToUs(2400, 2, 29, 23, 0, 0, 0))).toBe("2400-02-29T23:00:00.000000Z");
  });
});

describe("monthFromName", () => {
  it("maps the twelve English abbreviations", () => {
    expect<i32>(month("Jan")).toBe(1);
    expect<i32>(month("Feb")).toBe(2);
    expect<i32>(month("Mar")).toBe(3);
    expect<i32>(month("Apr")).toBe(4);
    expect<i32>(month("May")).toBe(5);
    expect<i32>(month("Jun")).toBe(6);
    expect<i32>(month("Jul")).toBe(7);
    expect<i32>(month("Aug")).toBe(8);
    expect<i32>(month("Sep")).toBe(9);
    expect<i32>(month("Oct")).toBe(10);
    expect<i32>(month("Nov")).toBe(11);
    expect<i32>(month("Dec")).toBe(12);
  });
  it("is case-insensitive", () => {
    expect<i32>(month("JUL")).toBe(7);
    expect<i32>(month("dec")).toBe(12);
  });
  it("returns 0 for anything else", () => {
    expect<i32>(month("Foo")).toBe(0);
    expect<i32>(month("Ju ")).toBe(0);
    expect<i32>(month("26/")).toBe(0);
    expect<i32>(month("Sept")).toBe(9); // only three letters are read
  });
});
