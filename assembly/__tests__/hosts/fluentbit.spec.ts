import { filter_ipmon_flow } from "../../hosts/fluentbit";

// The entry point called the way Fluent Bit calls it (fluent-bit-wasm.md §1.1), inside the
// module; the Node emulation of the whole host sequence is host-test/fluentbit.test.mjs.

const REC = memory.data(1024);
const TAG = memory.data(16);

/** Calls the entry with s as the record JSON; the returned C string, "" for 0. */
function call(s: string, sec: u32): string {
  const n = String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, REC, true) - 1;
  const p = filter_ipmon_flow(TAG, 0, sec, 0, REC, <u32>n);
  if (p == 0) return "";
  let e = p;
  while (load<u8>(e) != 0) e++;
  return String.UTF8.decodeUnsafe(p, e - p);
}

describe("filter_ipmon_flow", () => {
  it("returns 0 when nothing is due", () => {
    expect<string>(call('{"ipmon_flow":{"year":2026}}', 1)).toBe("");
    expect<string>(call('{"log":"28/11/2026 10:00:00.000001 xl0 @0:1 p 10.0.0.1,1234 -> 192.0.2.1,53 PR udp len 20 60 OUT"}', 2)).toBe("");
  });
  it("returns one due record as it is", () => {
    const out = call('{"ipmon_flow":"flush"}', 3);
    expect<bool>(out.startsWith('{"@timestamp":"2026-11-28T10:00:00.000001Z"')).toBe(true);
    expect<bool>(out.endsWith("}}")).toBe(true);
    expect<bool>(out.includes('"records":[')).toBe(false);
    expect<bool>(out.includes('"reason":"forced_end"')).toBe(true);
  });
  it("wraps several due records in one envelope, marked for rewrite_tag", () => {
    call('{"log":"28/11/2026 10:00:01.000001 xl0 @0:1 p 10.0.0.1,1234 -> 192.0.2.1,53 PR udp len 20 60 OUT"}', 3);
    call('{"log":"28/11/2026 10:00:01.000002 xl0 @0:1 p 10.0.0.2,1234 -> 192.0.2.1,53 PR udp len 20 60 OUT"}', 3);
    const out = call('{"ipmon_flow":"flush"}', 3);
    expect<bool>(out.startsWith('{"records":[{"@timestamp":"2026-11-28T10:00:01.000001Z"')).toBe(true);
    expect<bool>(out.includes('"source":{"ip":"10.0.0.2"')).toBe(true);
    expect<bool>(out.endsWith('}],"ipmon_envelope":"1"}')).toBe(true);
  });
  it("answers a bad record with a rejected record", () => {
    const out = call("not json", 4);
    expect<bool>(out.includes('"record_type":"rejected","reason":"not_json","record_bytes":8')).toBe(true);
  });
  it("answers a bad configuration with a config_error record", () => {
    const out = call('{"ipmon_flow":{"udp_timeout":"x"}}', 5);
    expect<bool>(out.includes('"record_type":"config_error"')).toBe(true);
    expect<bool>(out.includes("udp_timeout")).toBe(true);
  });
});
