// forwarded.ts: STATE, NAT, missed, hex-dump and status lines.
import {
  parseLine, line, LINE_SRC, LINE_DST, setDateContext, setFallbackDay, dateContextSave, dateContextLoad, whyText,
  DATE_CONTEXT_SIZE,
  KIND_BLANK, KIND_PACKET, KIND_STATE, KIND_NAT, KIND_MISSED, KIND_HEX, KIND_STATUS, KIND_UNPARSED,
  WHY_NONE, WHY_NOT_IPMON, WHY_NO_TIME, WHY_BAD_DATE, WHY_NO_DATE, WHY_BAD_RULE, WHY_BAD_ACTION, WHY_BAD_ENDPOINT,
  WHY_BAD_PROTO, WHY_BAD_LEN, WHY_BAD_FLAGS, WHY_BAD_ICMP, WHY_BAD_SUFFIX, WHY_HOST_NAME, WHY_SERVICE_NAME,
  WHY_UNKNOWN_PROTO, WHY_BAD_BODY,
  ACT_PASS, ACT_BLOCK, ACT_LOG, ACT_NOMATCH, ACT_UNKNOWN,
  TH_FIN, TH_SYN, TH_RST, TH_PUSH, TH_ACK, TH_URG, TH_ECE, TH_CWR,
  DIR_NONE, DIR_IN, DIR_OUT,
} from "../../parse/line";
import { parse, view, v4, observer, iface, rule, token, msg, fileLine, BUF, CTX, R01, C01, B01, FILE_PREFIX, SYSLOG_PREFIX } from "./lines";
import { hex16 } from "../support";

describe("parseLine: STATE, NAT, missed, hex and status lines", () => {
  it("STATE lines keep the kind token (C09, B24 'Type: 2')", () => {
    setDateContext(2024, 0);
    expect<u8>(parse("Jul 26 09:14:10 sol1 ipmon[137]: [ID 702911 local0.info] 09:14:09.770512 STATE:CLOSE 10.50.13.77,50514 -> 10.50.12.32,22 PR tcp Forward: Pkts in 7 Bytes in 480 Pkts out 0 Bytes out 0 Backward: Pkts in 0 Bytes in 0 Pkts out 2 Bytes out 112")).toBe(KIND_STATE);
    expect<string>(token()).toBe("STATE:CLOSE");
    expect<bool>(line.hasTime).toBe(true);
    expect<i64>(line.timeUs).toBe(1721985249770512);
    expect<u8>(parse("Mar  3 11:30:01 fw1 ipmon[812]: 11:30:01.000017 Type: 2 10.0.0.9,40001 -> 198.51.100.3,22 PR tcp Forward: Pkts in 1 Bytes in 60 Pkts out 1 Bytes out 60 Backward: Pkts in 1 Bytes in 60 Pkts out 0 Bytes out 0")).toBe(KIND_STATE);
    expect<string>(token()).toBe("Type: 2");
  });
  it("NAT lines skip @rule and keep the kind (C42, B13, C49)", () => {
    setDateContext(2024, 0);
    expect<u8>(parse("26/07/2021 09:30:00.118273 @1 NAT:MAP 192.168.10.21,51514 <- -> 203.0.113.5,40012 [198.51.100.53,53]")).toBe(KIND_NAT);
    expect<string>(token()).toBe("NAT:MAP");
    expect<u8>(parse("Mar  3 11:21:10 fw1 ipmon[812]: 11:21:10.000007 @1 NAT:NEW-MAP 10.0.0.5,49152 <- -> 203.0.113.1,61012 [93.184.216.34,443] tcp")).toBe(KIND_NAT);
    expect<string>(token()).toBe("NAT:NEW-MAP");
    expect<u8>(parse("26/07/2021 09:40:01.000500 @1 Type: 65532 192.168.10.23,50002 <- -> 203.0.113.5,40014 [198.51.100.81,443]")).toBe(KIND_NAT);
    expect<string>(token()).toBe("Type: 65532");
  });
  it("missed lines: family token, header time when there is a header (B05, R14)", () => {
    setDateContext(2024, 0);
    expect<u8>(parse("Mar  3 11:21:02 fw1 ipmon[812]: missed 3 ipf log entries: 10452 10455")).toBe(KIND_MISSED);
    expect<string>(token()).toBe("ipf");
    expect<bool>(line.hasTime).toBe(true);
    expect<i64>(line.timeUs).toBe(1709464862000000);
    expect<string>(msg()).toBe("missed 3 ipf log entries: 10452 10455");
    setDateContext(2024, 0);
    expect<u8>(parse("missed 1 ipf log entries: 0 1")).toBe(KIND_MISSED);
    expect<bool>(line.hasTime).toBe(false);
    expect<u8>(parse("Mar  3 11:21:15 fw1 ipmon[812]: missed 1 NAT log entries: 0 1")).toBe(KIND_MISSED);
    expect<string>(token()).toBe("NAT");
  });
  it("hex dump rows, full and partial (R23, R24)", () => {
    expect<u8>(parse("01 02 03 04 05 06 07 08 09 0a 0b 0d 0e 0f 40 61        ..............@a")).toBe(KIND_HEX);
    expect<u8>(parse("42 63 44 65 46 67 48 69 4a 6b 4c 6d                    BcDeFgHiJkLm")).toBe(KIND_HEX);
  });
  it("status lines (C53 'bytes flushed from log')", () => {
    setDateContext(2024, 0);
    expect<u8>(parse("Jul 26 09:00:00 sol1 ipmon[137]: [ID 123463 local0.info] 12288 bytes flushed from log")).toBe(KIND_STATUS);
    expect<bool>(line.hasTime).toBe(true);
    expect<u8>(line.why).toBe(WHY_NONE);
  });
});
