import { endReasonName, writeFlow, writeForwarded, END_ACTIVE_TIMEOUT, END_FORCED, END_IDLE_TIMEOUT, END_LACK_OF_RESOURCES, END_OF_FLOW } from "../../records/summary";
import { Flow, KEY_PORTS, KEY_V6, tableInit, tableInsert, FLOW_SYN_SEEN, FLOW_CONTINUED } from "../../flows/flowtable";
import { line, parseLine, KIND_STATE, KIND_UNPARSED, WHY_BAD_LEN, ACT_BLOCK, ACT_PASS } from "../../parse/line";
import { outReset, outPtr, outLen, MODE_NDJSON, MODE_ARRAY } from "../../records/output";
import { intern } from "../../flows/intern";
import { parseIPv4, parseIPv6 } from "../../parse/ipaddr";

const KEY = memory.data(40);
const TEXT = memory.data(256);

function put(s: string): i32 {
  return <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, TEXT);
}

function text(): string {
  return String.UTF8.decodeUnsafe(outPtr(), <usize>outLen());
}

/** A flow slot with key a:pa <-> b:pb for protocol proto. */
function flow(a: string, pa: u16, b: string, pb: u16, proto: u8, v6: bool): Flow {
  tableInit(64);
  memory.fill(KEY, 0, 40);
  if (v6) {
    parseIPv6(TEXT, put(a), KEY);
    parseIPv6(TEXT, put(b), KEY + 16);
  } else {
    parseIPv4(TEXT, put(a), KEY);
    parseIPv4(TEXT, put(b), KEY + 16);
  }
  store<u16>(KEY, pa, 32);
  store<u16>(KEY, pb, 34);
  store<u8>(KEY, proto, 36);
  store<u8>(KEY, (v6 ? KEY_V6 : 0) | KEY_PORTS, 37);
  const f = tableInsert(KEY, 1);
  f.firstUs = 1709460000000000; // 2024-03-03T10:00:00Z
  f.endUs = f.firstUs + 1500000;
  f.lastUs = f.endUs;
  return f;
}

describe("endReasonName", () => {
  it("gives the IPFIX flowEndReason keywords 1-5", () => {
    expect<string>(endReasonName(END_IDLE_TIMEOUT)).toBe("idle_timeout");
    expect<string>(endReasonName(END_ACTIVE_TIMEOUT)).toBe("active_timeout");
    expect<string>(endReasonName(END_OF_FLOW)).toBe("end_of_flow");
    expect<string>(endReasonName(END_FORCED)).toBe("forced_end");
    expect<string>(endReasonName(END_LACK_OF_RESOURCES)).toBe("lack_of_resources");
  });
});

describe("writeFlow", () => {
  it("writes originator and responder from the roles, not from the key order", () => {
    const f = flow("10.0.0.1", 40000, "10.0.0.2", 80, 6, false);
    f.origIsB = 1; // the originator is endpoint B
    f.origPackets = 3;
    f.origBytes = 180;
    f.respPackets = 2;
    f.respBytes = 120;
    f.flags |= FLOW_SYN_SEEN;
    f.actions = ACT_PASS;
    outReset(MODE_NDJSON);
    writeFlow(f, END_OF_FLOW);
    const s = text();
    expect<bool>(s.includes('"source":{"ip":"10.0.0.2","port":80,"packets":3,"bytes":180}')).toBe(true);
    expect<bool>(s.includes('"destination":{"ip":"10.0.0.1","port":40000,"packets":2,"bytes":120}')).toBe(true);
    expect<bool>(s.includes('"network":{"transport":"tcp","type":"ipv4","iana_number":"6","packets":5,"bytes":300,')).toBe(true);
    expect<bool>(s.includes('"start":"2024-03-03T10:00:00.000000Z","end":"2024-03-03T10:00:01.500000Z","duration":1500000000')).toBe(true);
    expect<bool>(s.includes('"type":["connection","end","allowed"]')).toBe(true);
    expect<bool>(s.includes('"syn_seen":true')).toBe(true);
    expect<bool>(s.endsWith("}}\n")).toBe(true);
  });
  it("a blocked, continued interim record: denied, no end, continued", () => {
    const f = flow("2001:db8::1", 5353, "2001:db8::2", 53, 17, true);
    f.actions = ACT_BLOCK | ACT_PASS;
    f.flags |= FLOW_CONTINUED;
    outReset(MODE_NDJSON);
    writeFlow(f, END_ACTIVE_TIMEOUT);
    const s = text();
    expect<bool>(s.includes('"type":["connection","denied"]')).toBe(true);
    expect<bool>(s.includes('"type":"ipv6"')).toBe(true);
    expect<bool>(s.includes('"ip":"2001:db8::1","port":5353')).toBe(true);
    expect<bool>(s.includes('"continued":true')).toBe(true);
    expect<bool>(s.includes('"action":"block"')).toBe(true);
    expect<bool>(s.includes("tcp_flags")).toBe(false);
  });
  it("ICMP flows carry icmp.type/code instead of ports, and one address in related.ip when both are equal", () => {
    const f = flow("10.0.0.1", 8, "10.0.0.1", 0, 1, false);
    f.icmpType = 8;
    f.icmpCode = 0;
    outReset(MODE_NDJSON);
    writeFlow(f, END_IDLE_TIMEOUT);
    const s = text();
    expect<bool>(s.includes('"port"')).toBe(false);
    expect<bool>(s.includes('"icmp":{"type":8,"code":0}')).toBe(true);
    expect<bool>(s.includes('"related":{"ip":["10.0.0.1"]}')).toBe(true);
  });
  it("observer, interfaces and rule come from interned names", () => {
    const f = flow("10.0.0.1", 1, "10.0.0.2", 2, 6, false);
    f.observer = intern(TEXT, put("fw\"1"));
    f.ingressIf = intern(TEXT, put("em0"));
    f.rule = intern(TEXT, put("0:12"));
    outReset(MODE_NDJSON);
    writeFlow(f, END_FORCED);
    const s = text();
    expect<bool>(s.includes('"hostname":"fw\\"1"')).toBe(true);
    expect<bool>(s.includes('"ingress":{"interface":{"name":"em0"}}')).toBe(true);
    expect<bool>(s.includes("egress")).toBe(false);
    expect<bool>(s.includes('"rule":{"ruleset":"0","id":"12","name":"@0:12"}')).toBe(true);
  });
  it("the flow id depends on the observer name, key and start, not on the interned id", () => {
    const f = flow("10.0.0.1", 1, "10.0.0.2", 2, 6, false);
    outReset(MODE_NDJSON);
    writeFlow(f, END_FORCED);
    const a = text();
    f.firstUs += 1;
    outReset(MODE_NDJSON);
    writeFlow(f, END_FORCED);
    const b = text();
    const id = (s: string): string => s.substring(s.indexOf('"id":"') + 6, s.indexOf('"id":"') + 22);
    expect<bool>(id(a) != id(b)).toBe(true);
    expect<i32>(id(a).length).toBe(16);
  });
  it("in array mode records are separated by commas, without newlines", () => {
    const f = flow("10.0.0.1", 1, "10.0.0.2", 2, 6, false);
    outReset(MODE_ARRAY);
    writeFlow(f, END_FORCED);
    writeFlow(f, END_FORCED);
    const s = text();
    expect<bool>(s.includes("}},{")).toBe(true);
    expect<bool>(s.includes("\n")).toBe(false);
  });
});

describe("writeForwarded", () => {
  it("a STATE line keeps the original text and its kind token", () => {
    const n = put("26/07/2021 09:14:09.770512 STATE:CLOSE 10.50.13.77,50514 -> 10.50.12.32,22 PR tcp");
    const kind = parseLine(TEXT, n);
    expect<u8>(kind).toBe(KIND_STATE);
    outReset(MODE_NDJSON);
    writeForwarded(line, TEXT, n, kind, 0, 0, 0);
    const s = text();
    expect<bool>(s.startsWith('{"@timestamp":"2021-07-26T09:14:09.770512Z"')).toBe(true);
    expect<bool>(s.includes('"dataset":"ipmon.state"')).toBe(true);
    expect<bool>(s.includes('"kind":"STATE:CLOSE"')).toBe(true);
    expect<bool>(s.includes('"message":"26/07/2021 09:14:09.770512 STATE:CLOSE')).toBe(true);
  });
  it("an unparsed line is a pipeline_error with the reason, escaped", () => {
    const n = put('26/07/2021 09:14:09.770512 em0 @0:1 p 1.1.1.1,1 -> 2.2.2.2,2 PR udp len x "q"');
    const kind = parseLine(TEXT, n);
    expect<u8>(kind).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_LEN);
    outReset(MODE_NDJSON);
    writeForwarded(line, TEXT, n, kind, line.why, 0, 0);
    const s = text();
    expect<bool>(s.includes('"kind":"pipeline_error"')).toBe(true);
    expect<bool>(s.includes('"error":{"type":"ipmon_parse","message":"expected len HL PLEN"}')).toBe(true);
    expect<bool>(s.includes('len x \\"q\\""')).toBe(true);
    expect<bool>(s.includes('"record_type":"unparsed"')).toBe(true);
  });
  it("a line without a time takes the engine clock, and none at all before the first dated line", () => {
    const n = put("not ipmon at all");
    const kind = parseLine(TEXT, n);
    outReset(MODE_NDJSON);
    writeForwarded(line, TEXT, n, kind, line.why, 0, 0);
    expect<bool>(text().includes("@timestamp")).toBe(false);
    outReset(MODE_NDJSON);
    writeForwarded(line, TEXT, n, kind, line.why, 0, 1709460000000000);
    expect<bool>(text().startsWith('{"@timestamp":"2024-03-03T10:00:00.000000Z"')).toBe(true);
  });
});
