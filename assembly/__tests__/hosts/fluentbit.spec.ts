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
  it("hands several records due in a log call back one per call, oldest first", () => {
    expect<string>(call('{"ipmon_flow":"flush"}', 6)).toBe("");
    call('{"log":"28/11/2026 10:01:00.000001 xl0 @0:1 p 10.0.1.1,1234 -> 192.0.2.1,53 PR udp len 20 60 OUT"}', 6);
    call('{"log":"28/11/2026 10:01:00.000002 xl0 @0:1 p 10.0.1.2,1234 -> 192.0.2.1,53 PR udp len 20 60 OUT"}', 6);
    call('{"log":"28/11/2026 10:01:00.000003 xl0 @0:1 p 10.0.1.3,1234 -> 192.0.2.1,53 PR udp len 20 60 OUT"}', 6);
    // half an hour later: the sweep ends all three UDP flows in this one call
    const a = call('{"log":"28/11/2026 10:31:00.000001 xl0 @0:1 p 10.0.1.9,1234 -> 192.0.2.1,53 PR udp len 20 60 OUT"}', 7);
    expect<bool>(a.startsWith('{"@timestamp":"2026-11-28T10:01:00.000001Z"')).toBe(true);
    expect<bool>(a.includes('"records":[')).toBe(false);
    // the next log records carry the waiting ones out, their own records queued behind them
    const b = call('{"log":"garbage one"}', 7);
    expect<bool>(b.startsWith('{"@timestamp":"2026-11-28T10:01:00.000002Z"')).toBe(true);
    const c = call('{"log":"garbage two"}', 7);
    expect<bool>(c.startsWith('{"@timestamp":"2026-11-28T10:01:00.000003Z"')).toBe(true);
    // a control record hands back everything still waiting, then its own, in one envelope
    const d = call('{"ipmon_flow":"flush"}', 8);
    expect<bool>(d.startsWith('{"records":[{')).toBe(true);
    const one = d.indexOf('"message":"garbage one"');
    const two = d.indexOf('"message":"garbage two"');
    const flow = d.indexOf('"source":{"ip":"10.0.1.9"');
    expect<bool>(one > 0 && two > one && flow > two).toBe(true);
    expect<bool>(d.endsWith('}],"ipmon_envelope":"1"}')).toBe(true);
    expect<string>(call('{"log":"28/11/2026 10:31:01.000001 xl0 @0:1 p 10.0.1.9,1234 -> 192.0.2.1,53 PR udp len 20 60 OUT"}', 9)).toBe("");
    call('{"ipmon_flow":"flush"}', 9);
  });
  it("returns an envelope when more records are due in a log call than may wait", () => {
    expect<string>(call('{"ipmon_flow":"flush"}', 10)).toBe("");
    for (let i = 0; i < 20; i++) {
      call('{"log":"28/11/2026 11:00:00.0000' + (10 + i).toString() + ' xl0 @0:1 p 10.0.2.' + (i + 1).toString() + ',1234 -> 192.0.2.1,53 PR udp len 20 60 OUT"}', 10);
    }
    const out = call('{"log":"28/11/2026 11:30:00.000001 xl0 @0:1 p 10.0.2.99,1234 -> 192.0.2.1,53 PR udp len 20 60 OUT"}', 11);
    expect<bool>(out.startsWith('{"records":[{"@timestamp":"2026-11-28T11:00:00.000010Z"')).toBe(true);
    expect<i32>(out.split('"record_type":"flow"').length - 1).toBe(20);
    call('{"ipmon_flow":"flush"}', 12);
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
