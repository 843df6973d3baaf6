// line.ts: malformed lines end unparsed with the reason; record.ts: the reasons' text.
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

describe("parseLine: malformed lines and their WHY_ code", () => {
  it("WHY_NOT_IPMON: a syslog line from another program", () => {
    setDateContext(2024, 0);
    expect<u8>(parse("Jul 26 09:12:01 sol1 sshd[99]: Accepted publickey for root from 10.0.0.1 port 22")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_NOT_IPMON);
  });
  it("WHY_NO_TIME: free text, a time without microseconds, 5 microsecond digits", () => {
    setDateContext(2024, 0);
    expect<u8>(parse("hello world")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_NO_TIME);
    expect<u8>(parse("26/07/2021 09:12:01 e1000g0 @0:3 p 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_NO_TIME);
    expect<u8>(parse("26/07/2021 09:12:01.00471 e1000g0 @0:3 p 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_NO_TIME);
  });
  it("WHY_BAD_DATE: 31/02, Feb 30 in a syslog header, month 13 in an ISO header", () => {
    setDateContext(2023, 0);
    expect<u8>(parse("31/02/2021 09:12:01.004711 e1000g0 @0:3 p 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_DATE);
    expect<u8>(parse("Feb 29 09:12:01 fw1 ipmon[1]: 09:12:01.004711 em0 @0:3 p 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_DATE);
    expect<u8>(parse("2021-13-01T00:00:00Z fw1 ipmon[1]: 09:12:01.004711 em0 @0:3 p 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_DATE);
  });
  it("WHY_NO_DATE: a time of day and no date known yet", () => {
    setDateContext(2024, 0);
    expect<u8>(parse("09:12:01.004711 e1000g0 @0:3 p 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_NO_DATE);
  });
  it("WHY_BAD_RULE: no @group:rule", () => {
    setDateContext(1970, 0);
    expect<u8>(fileLine("e1000g0 0:3 p 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_RULE);
    expect<u8>(fileLine("e1000g0 @03 p 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_RULE);
  });
  it("WHY_BAD_ACTION: unknown action letter", () => {
    setDateContext(1970, 0);
    expect<u8>(fileLine("e1000g0 @0:3 x 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_ACTION);
    expect<u8>(fileLine("e1000g0 @0:3 pp 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_ACTION);
  });
  it("WHY_BAD_ENDPOINT: no arrow, mixed families, garbage host", () => {
    setDateContext(1970, 0);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1,1 => 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_ENDPOINT);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1,1 -> 2001:db8::1,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_ENDPOINT);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1!,1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_ENDPOINT);
    // TCP/UDP (not short) without a port
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_ENDPOINT);
  });
  it("WHY_BAD_ENDPOINT: malformed numeric hosts and ports are not names", () => {
    setDateContext(1970, 0);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1,99999 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_ENDPOINT);
    expect<u8>(fileLine("e1000g0 @0:3 p 300.1.2.3,1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_ENDPOINT);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0,1 -> 10.0.0.2,2 PR udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_ENDPOINT);
  });
  it("WHY_BAD_PROTO: no PR", () => {
    setDateContext(1970, 0);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1,1 -> 10.0.0.2,2 udp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_PROTO);
  });
  it("WHY_BAD_LEN: missing or unclosed lengths", () => {
    setDateContext(1970, 0);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1,1 -> 10.0.0.2,2 PR udp length 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_LEN);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1 -> 10.0.0.2 PR gre len 20 (28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_LEN);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1,1 -> 10.0.0.2,2 PR udp len x 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_LEN);
  });
  it("WHY_BAD_FLAGS: no flag field, or a letter outside ARSFUPEC", () => {
    setDateContext(1970, 0);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1,1 -> 10.0.0.2,2 PR tcp len 20 40 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_FLAGS);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1,1 -> 10.0.0.2,2 PR tcp len 20 40 -SX IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_FLAGS);
  });
  it("WHY_BAD_ICMP: unknown type name, missing slash", () => {
    setDateContext(1970, 0);
    expect<u8>(fileLine("e1000g0 @0:7 p 10.0.0.1 -> 10.0.0.2 PR icmp len 20 84 icmp bogus/0 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_ICMP);
    expect<u8>(fileLine("e1000g0 @0:7 p 10.0.0.1 -> 10.0.0.2 PR icmp len 20 84 icmp echo IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_ICMP);
  });
  it("WHY_BAD_SUFFIX: unknown text after the packet", () => {
    setDateContext(1970, 0);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1,1 -> 10.0.0.2,2 PR tcp len 20 40 -S K-S IN wibble")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_SUFFIX);
  });
  it("WHY_HOST_NAME: 5.1 -n bare host name (B12) is a packet that cannot be keyed", () => {
    setDateContext(2024, 0);
    expect<u8>(parse("Mar  3 11:21:09 fw1 ipmon[812]: 11:21:09.600006 em0 @0:24 p fw1.example.net,ssh -> 198.51.100.7,50222 PR tcp len 20 52 -A K-S OUT")).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_HOST_NAME);
    expect<u32>(line.sport).toBe(22);
    expect<u32>(line.dport).toBe(50222);
  });
  it("WHY_SERVICE_NAME: a port name not in the table", () => {
    setDateContext(1970, 0);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1,nosuchsvc -> 10.0.0.2,80 PR tcp len 20 40 -S IN")).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_SERVICE_NAME);
  });
  it("WHY_UNKNOWN_PROTO: a protocol name not in the table", () => {
    setDateContext(1970, 0);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1 -> 10.0.0.2 PR frobnicate len 20 (40) IN")).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_UNKNOWN_PROTO);
    expect<u32>(line.proto).toBe(255);
  });
  it("WHY_BAD_BODY: ports where none are printed, unclosed (frag", () => {
    setDateContext(1970, 0);
    expect<u8>(fileLine("e1000g0 @0:3 p 10.0.0.1,5 -> 10.0.0.2,6 PR gre len 20 (40) IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_BODY);
    expect<u8>(fileLine("e1000g0 @0:1 Sb 10.0.0.1,5 -> 10.0.0.2,6 PR tcp len 20 28 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_BODY);
    expect<u8>(fileLine("e1000g0 @0:10 p 10.0.0.1 -> 10.0.0.2 PR udp len 20 (1500) (frag 48879:1480@1480+")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_BODY);
    expect<u8>(fileLine("e1000g0 @0:7 p 10.0.0.1,1 -> 10.0.0.2,2 PR icmp len 20 84 icmp echo/0 IN")).toBe(KIND_UNPARSED);
    expect<u8>(line.why).toBe(WHY_BAD_BODY);
  });
});

describe("whyText", () => {
  it("has a message for every code and none for WHY_NONE", () => {
    expect<string>(whyText(WHY_NONE)).toBe("");
    for (let w: u8 = 1; w <= 16; w++) expect<bool>(whyText(w).length > 0).toBe(true);
    expect<string>(whyText(WHY_HOST_NAME)).toBe("host printed as a name without an address (ipmon -n), cannot key the flow");
    expect<string>(whyText(WHY_NO_DATE)).toBe("time of day without a date, and no earlier line gave one");
  });
});
