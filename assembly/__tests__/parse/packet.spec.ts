// packet.ts: packet lines (§4), bodies and suffix markers.
import {
  parseLine, line, LINE_SRC, LINE_DST, LINE_QSRC, LINE_QDST, setDateContext, setFallbackDay, dateContextSave, dateContextLoad, whyText,
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

describe("parseLine: packet body", () => {
  it("TCP endpoints, ports, lengths, flags and direction (R01)", () => {
    setDateContext(2024, 0);
    parse(R01);
    expect<string>(v4(LINE_SRC)).toBe("10.50.12.32");
    expect<string>(v4(LINE_DST)).toBe("10.50.13.2");
    expect<bool>(line.isV6).toBe(false);
    expect<bool>(line.hasPorts).toBe(true);
    expect<u32>(line.sport).toBe(10050);
    expect<u32>(line.dport).toBe(45380);
    expect<u32>(line.proto).toBe(6);
    expect<u32>(line.hl).toBe(20);
    expect<u32>(line.plen).toBe(55);
    expect<u32>(line.count).toBe(1);
    expect<u32>(line.tcpFlags).toBe(<u32>(TH_ACK | TH_FIN | TH_PUSH));
    expect<u8>(line.action).toBe(ACT_LOG);
    expect<bool>(line.short).toBe(false);
    expect<u8>(line.dir).toBe(DIR_OUT);
    expect<bool>(line.fragment).toBe(false);
  });
  it("every TCP flag letter maps to its wire bit", () => {
    setDateContext(1970, 0);
    fileLine("em0 @0:30 b 198.51.100.99,40000 -> 198.51.100.10,80 PR tcp len 20 40 -SFUP IN bad");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u32>(line.tcpFlags).toBe(<u32>(TH_SYN | TH_FIN | TH_URG | TH_PUSH));
    fileLine("em1 @0:31 p 203.0.113.1,61020 -> 192.0.2.80,443 PR tcp len 20 60 -SEC K-S OUT NAT");
    expect<u32>(line.tcpFlags).toBe(<u32>(TH_SYN | TH_ECE | TH_CWR));
    fileLine("em0 @0:4 p 10.50.12.32,8080 -> 10.50.13.9,60211 PR tcp len 20 40 -AR OUT");
    expect<u32>(line.tcpFlags).toBe(<u32>(TH_ACK | TH_RST));
    fileLine("em0 @0:30 b 198.51.100.99,0 -> 198.51.100.10,80 PR tcp len 20 40 - IN");
    expect<u8>(line.kind).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u32>(line.tcpFlags).toBe(0);
    expect<u32>(line.sport).toBe(0);
  });
  it("ipmon -v SEQ ACK WIN after the flags (C36)", () => {
    setDateContext(1970, 0);
    fileLine("e1000g0 @0:3 p 10.50.13.77,50514 -> 10.50.12.32,22 PR tcp len 20 52 -A 2856411191 1932009213 2048 K-S IN");
    expect<u8>(line.kind).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u32>(line.tcpFlags).toBe(<u32>TH_ACK);
    expect<u8>(line.dir).toBe(DIR_IN);
  });
  it("Nx repeat count, in syslog mode (C04) and file mode (R16)", () => {
    setDateContext(2024, 0);
    parse("Jul 26 09:12:01 sol1 ipmon[137]: [ID 702911 local0.notice] 09:12:01.031877 3x e1000g0 @0:3 p 10.50.13.77,50514 -> 10.50.12.32,22 PR tcp len 20 88 -AP K-S IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u32>(line.count).toBe(3);
    expect<string>(iface()).toBe("e1000g0");
    expect<u32>(line.plen).toBe(88);
    parse("01/01/1970 00:00:00.000000 2x anon0 @-1:-1 L 1.1.1.1,1025 -> 2.2.2.2,25 PR tcp len 20 40 -A IN");
    expect<u32>(line.count).toBe(2);
    expect<string>(iface()).toBe("anon0");
    expect<i64>(line.timeUs).toBe(0);
    parse("01/01/1970 00:00:00.000000 anon0 @-1:-1 L 1.1.1.1,1025 -> 2.2.2.2,25 PR tcp len 20 40 -S IN");
    expect<u32>(line.count).toBe(1);
  });
  it("4.1 -n: name[ip] hosts and service-name ports (C35)", () => {
    setDateContext(2024, 0);
    parse("Jul 26 09:23:00 sol1 ipmon[137]: [ID 702911 local0.notice] 09:23:00.311000 e1000g0 @0:3 p sol1.example.com[10.50.12.32],ssh -> client7.example.com[10.50.13.77],50514 PR tcp len 20 88 -AP K-S OUT");
    expect<u8>(line.kind).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<string>(v4(LINE_SRC)).toBe("10.50.12.32");
    expect<string>(v4(LINE_DST)).toBe("10.50.13.77");
    expect<u32>(line.sport).toBe(22);
    expect<u32>(line.dport).toBe(50514);
  });
  it("service names on both sides: domain, https, http-alt", () => {
    setDateContext(1970, 0);
    fileLine("em0 @0:1 p 10.0.0.1,domain -> 10.0.0.2,https PR udp len 20 60 IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u32>(line.sport).toBe(53);
    expect<u32>(line.dport).toBe(443);
    fileLine("em0 @0:1 p 10.0.0.1,http-alt -> 10.0.0.2,50000 PR tcp len 20 40 -A IN");
    expect<u32>(line.sport).toBe(8080);
  });
  it("IPv6 endpoints with ports (C37)", () => {
    setDateContext(2024, 0);
    parse("Jul 26 09:24:00 sol1 ipmon[137]: [ID 702911 local0.notice] 09:24:00.120003 e1000g0 @0:13 p 2001:db8:10::77,50600 -> 2001:db8:10::32,22 PR tcp len 40 80 -S K-S IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<bool>(line.isV6).toBe(true);
    expect<string>(hex16(LINE_SRC)).toBe("20010db8001000000000000000000077");
    expect<string>(hex16(LINE_DST)).toBe("20010db8001000000000000000000032");
    expect<u32>(line.sport).toBe(50600);
    expect<u32>(line.dport).toBe(22);
    expect<u32>(line.hl).toBe(40);
    expect<u32>(line.plen).toBe(80);
    expect<i64>(line.timeUs).toBe(1721985840120003);
  });
  it("short packets (Sb): no ports, short flag, block action (C29)", () => {
    setDateContext(2024, 0);
    parse("Jul 26 09:22:00 sol1 ipmon[137]: [ID 702911 local0.warning] 09:22:00.100100 e1000g0 @0:1 Sb 203.0.113.200 -> 10.50.12.32 PR tcp len 20 28 IN");
    expect<u8>(line.kind).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<bool>(line.short).toBe(true);
    expect<u8>(line.action).toBe(ACT_BLOCK);
    expect<bool>(line.hasPorts).toBe(false);
    expect<u32>(line.proto).toBe(6);
    expect<u32>(line.plen).toBe(28);
    expect<u32>(line.tcpFlags).toBe(0);
    expect<string>(v4(LINE_SRC)).toBe("203.0.113.200");
  });
  it("action letters p P b B L n ? and Sp", () => {
    setDateContext(1970, 0);
    fileLine("em0 @0:1 p 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN");
    expect<u8>(line.action).toBe(ACT_PASS);
    fileLine("em0 @0:1 P 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN");
    expect<u8>(line.action).toBe(ACT_PASS);
    fileLine("em0 @0:1 b 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN");
    expect<u8>(line.action).toBe(ACT_BLOCK);
    fileLine("em0 @0:1 B 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN");
    expect<u8>(line.action).toBe(ACT_BLOCK);
    fileLine("em0 @0:1 L 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN");
    expect<u8>(line.action).toBe(ACT_LOG);
    fileLine("em0 @0:1 n 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN");
    expect<u8>(line.action).toBe(ACT_NOMATCH);
    fileLine("em0 @0:1 ? 10.0.0.1,1 -> 10.0.0.2,2 PR udp len 20 28 IN");
    expect<u8>(line.action).toBe(ACT_UNKNOWN);
    fileLine("em0 @0:1 Sp 10.0.0.1 -> 10.0.0.2 PR udp len 20 24 IN");
    expect<u8>(line.action).toBe(ACT_PASS);
    expect<bool>(line.short).toBe(true);
    expect<u8>(line.why).toBe(WHY_NONE);
  });
  it("group names and -1 rules (R22 @100:1)", () => {
    setDateContext(1970, 0);
    parse("01/01/1970 00:00:00.000000 anon0 @100:1 p 3.3.3.3,1023 -> 1.1.1.1,2049 PR udp len 20 28 IN");
    expect<string>(rule()).toBe("100:1");
    expect<u32>(line.proto).toBe(17);
    expect<u32>(line.dport).toBe(2049);
  });
  it("first fragment keeps ports; later fragments (frag ID:LEN@OFF) have none (C26-C28)", () => {
    setDateContext(2024, 0);
    parse("Jul 26 09:21:00 sol1 ipmon[137]: [ID 702911 local0.notice] 09:21:00.700001 e1000g0 @0:10 p 10.50.1.60,2049 -> 10.50.12.32,1023 PR udp len 20 1500 K-F IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<bool>(line.fragment).toBe(false);
    expect<bool>(line.hasPorts).toBe(true);
    expect<u32>(line.sport).toBe(2049);
    parse("Jul 26 09:21:00 sol1 ipmon[137]: [ID 702911 local0.notice] 09:21:00.700015 e1000g0 @0:10 p 10.50.1.60 -> 10.50.12.32 PR udp len 20 (1500) (frag 48879:1480@1480+) K-F IN");
    expect<u8>(line.kind).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<bool>(line.fragment).toBe(true);
    expect<bool>(line.hasPorts).toBe(false);
    expect<u32>(line.plen).toBe(1500);
    expect<u8>(line.dir).toBe(DIR_IN);
    parse("Jul 26 09:21:00 sol1 ipmon[137]: [ID 702911 local0.notice] 09:21:00.700029 e1000g0 @0:10 p 10.50.1.60 -> 10.50.12.32 PR udp len 20 (596) (frag 48879:576@2960) K-F IN");
    expect<bool>(line.fragment).toBe(true);
    expect<u32>(line.plen).toBe(596);
  });
  it("legacy 3.4 ' frag +DLEN@OFF' (L03)", () => {
    setDateContext(1970, 0);
    parse("21/05/2004 10:00:01.000001 xl0 @0:5 b 192.0.2.4 -> 198.51.100.8 PR udp len 20 (1500) frag +1480@1480 IN");
    expect<u8>(line.kind).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<bool>(line.fragment).toBe(true);
    expect<u8>(line.dir).toBe(DIR_IN);
  });
  it("other protocols with the length in parentheses (R18 ip, B11 ipv6-frag, C40)", () => {
    setDateContext(1970, 0);
    parse("01/01/1970 00:00:00.000000 anon0 @-1:-1 L 2.2.2.2 -> 4.4.4.4 PR ip len 20 (20) IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u32>(line.proto).toBe(0);
    expect<u32>(line.plen).toBe(20);
    expect<bool>(line.hasPorts).toBe(false);
    setDateContext(2024, 0);
    parse("Mar  3 11:21:08 fw1 ipmon[812]: 11:21:08.500005 em0 @0:23 b 2001:db8:9::9 -> 2001:db8:1::10 PR ipv6-frag len 48 (1280) IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u32>(line.proto).toBe(44);
    expect<u32>(line.hl).toBe(48);
    expect<u32>(line.plen).toBe(1280);
    expect<bool>(line.isV6).toBe(true);
  });
  it("ICMP echo: type and code become the ports (C16)", () => {
    setDateContext(2024, 0);
    parse("Jul 26 09:18:00 sol1 ipmon[137]: [ID 702911 local0.notice] 09:18:00.500000 e1000g0 @0:7 p 10.50.12.32 -> 10.50.1.1 PR icmp len 20 84 icmp echo/0 K-S OUT");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u32>(line.proto).toBe(1);
    expect<i32>(line.icmpType).toBe(8);
    expect<i32>(line.icmpCode).toBe(0);
    expect<bool>(line.hasPorts).toBe(true);
    expect<u32>(line.sport).toBe(8);
    expect<u32>(line.dport).toBe(0);
    expect<u8>(line.dir).toBe(DIR_OUT);
  });
  it("ICMP errors with a quoted UDP / TCP / ICMP / other packet (C20-C24)", () => {
    setDateContext(1970, 0);
    fileLine("e1000g0 @0:9 b 10.50.1.53 -> 10.50.12.32 PR icmp len 20 88 icmp unreach/port for 10.50.12.32,40123 - 10.50.1.53,53 PR udp len 20 60 IN");
    expect<u8>(line.kind).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<i32>(line.icmpType).toBe(3);
    expect<i32>(line.icmpCode).toBe(3);
    expect<u8>(line.dir).toBe(DIR_IN);
    // the outer packet's addresses, not the quoted ones
    expect<string>(v4(LINE_SRC)).toBe("10.50.1.53");
    expect<string>(v4(LINE_DST)).toBe("10.50.12.32");
    expect<u32>(line.plen).toBe(88);
    fileLine("e1000g0 @0:8 p 192.0.2.1 -> 10.50.12.32 PR icmp len 20 56 icmp unreach/needfrag for 10.50.12.32,22 - 198.51.100.40,61022 PR tcp len 20 1500 IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<i32>(line.icmpCode).toBe(4);
    fileLine("e1000g0 @0:8 p 192.0.2.254 -> 10.50.12.32 PR icmp len 20 56 icmp timxceed/transit for 10.50.12.32 - 198.51.100.1 PR icmp len 20 84 icmp 8/0 IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<i32>(line.icmpType).toBe(11);
    expect<i32>(line.icmpCode).toBe(0);
    expect<u8>(line.dir).toBe(DIR_IN);
    fileLine("e1000g0 @0:9 b 192.0.2.254 -> 10.50.12.32 PR icmp len 20 56 icmp unreach/protocol for 10.50.12.32 - 192.0.2.254 PR gre len 20 (100) IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<i32>(line.icmpCode).toBe(2);
    fileLine("e1000g0 @0:9 b 203.0.113.1 -> 10.50.12.32 PR icmp len 20 56 icmp unreach/10 for 10.50.12.32,50000 - 203.0.113.9,25 PR tcp len 20 60 IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<i32>(line.icmpCode).toBe(10);
    // quoted non-first fragment: "(LEN)(frag …)" with no space
    fileLine("e1000g0 @0:9 b 192.0.2.254 -> 10.50.12.32 PR icmp len 20 56 icmp timxceed/reassem for 10.50.12.32 - 192.0.2.9 PR udp len 20 (596)(frag 48879:576@2960) IN");
    expect<u8>(line.kind).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<i32>(line.icmpCode).toBe(1);
  });
  it("the quoted packet's addresses, protocol and ports (or ICMP type/code) are read", () => {
    setDateContext(1970, 0);
    fileLine("e1000g0 @0:9 b 10.50.1.53 -> 10.50.12.32 PR icmp len 20 88 icmp unreach/port for 10.50.12.32,40123 - 10.50.1.53,53 PR udp len 20 60 IN");
    expect<bool>(line.quoted).toBe(true);
    expect<string>(v4(LINE_QSRC)).toBe("10.50.12.32");
    expect<string>(v4(LINE_QDST)).toBe("10.50.1.53");
    expect<u32>(line.qProto).toBe(17);
    expect<bool>(line.qHasPorts).toBe(true);
    expect<u32>(line.qSport).toBe(40123);
    expect<u32>(line.qDport).toBe(53);
    expect<string>(v4(LINE_SRC)).toBe("10.50.1.53");
    expect<u32>(line.sport).toBe(3); // the outer ICMP type
    fileLine("e1000g0 @0:8 p 192.0.2.254 -> 10.50.12.32 PR icmp len 20 56 icmp timxceed/transit for 10.50.12.32 - 198.51.100.1 PR icmp len 20 84 icmp 8/0 IN");
    expect<bool>(line.quoted).toBe(true);
    expect<u32>(line.qProto).toBe(1);
    expect<bool>(line.qHasPorts).toBe(true);
    expect<u32>(line.qSport).toBe(8);
    expect<u32>(line.qDport).toBe(0);
    expect<string>(v4(LINE_QDST)).toBe("198.51.100.1");
    fileLine("e1000g0 @0:9 b 192.0.2.254 -> 10.50.12.32 PR icmp len 20 56 icmp unreach/protocol for 10.50.12.32 - 192.0.2.254 PR gre len 20 (100) IN");
    expect<bool>(line.quoted).toBe(true);
    expect<u32>(line.qProto).toBe(47);
    expect<bool>(line.qHasPorts).toBe(false);
    // a quoted fragment has no ports: its flow is the port-less one
    fileLine("e1000g0 @0:9 b 192.0.2.254 -> 10.50.12.32 PR icmp len 20 56 icmp timxceed/reassem for 10.50.12.32 - 192.0.2.9 PR udp len 20 (596)(frag 48879:576@2960) IN");
    expect<bool>(line.quoted).toBe(true);
    expect<u32>(line.qProto).toBe(17);
    expect<bool>(line.qHasPorts).toBe(false);
    // ipmon -n host names without addresses: the line stays usable, the quote is not
    fileLine("e1000g0 @0:9 b 10.50.1.53 -> 10.50.12.32 PR icmp len 20 88 icmp unreach/port for sol1.example.com,40123 - 10.50.1.53,53 PR udp len 20 60 IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<bool>(line.quoted).toBe(false);
    // echo has no quoted packet
    fileLine("e1000g0 @0:7 p 10.50.12.32 -> 10.50.1.1 PR icmp len 20 84 icmp echo/0 K-S OUT");
    expect<bool>(line.quoted).toBe(false);
  });
  it("fragment id, length, offset and the MF bit (C27, C28) and IPFilter 3.4's form", () => {
    setDateContext(1970, 0);
    fileLine("e1000g0 @0:10 p 10.50.1.60 -> 10.50.12.32 PR udp len 20 (1500) (frag 48879:1480@1480+) K-F IN");
    expect<bool>(line.fragment).toBe(true);
    expect<bool>(line.fragHasId).toBe(true);
    expect<u32>(line.fragId).toBe(48879);
    expect<u32>(line.fragLen).toBe(1480);
    expect<u32>(line.fragOff).toBe(1480);
    expect<bool>(line.fragMore).toBe(true);
    expect<bool>(line.hasPorts).toBe(false);
    fileLine("e1000g0 @0:10 p 10.50.1.60 -> 10.50.12.32 PR udp len 20 (596) (frag 48879:576@2960) K-F IN");
    expect<u32>(line.fragOff).toBe(2960);
    expect<bool>(line.fragMore).toBe(false);
    fileLine("e1000g0 @0:10 p 10.50.1.60 -> 10.50.12.32 PR udp len 20 (596) (frag 7:576@2960+-) IN");
    expect<bool>(line.fragMore).toBe(true);
    expect<u8>(line.dir).toBe(DIR_IN);
    // 3.4: " frag [+][-]DLEN@OFF", no id
    fileLine("le0 @0:2 p 10.1.1.1 -> 10.1.1.2 PR udp len 20 (1500) frag +1480@1480 IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<bool>(line.fragment).toBe(true);
    expect<bool>(line.fragHasId).toBe(false);
    expect<bool>(line.fragMore).toBe(true);
    expect<u32>(line.fragOff).toBe(1480);
    // something else inside the parentheses: still a fragment, without its place
    fileLine("e1000g0 @0:10 p 10.50.1.60 -> 10.50.12.32 PR udp len 20 (596) (frag what) K-F IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<bool>(line.fragment).toBe(true);
    expect<bool>(line.fragHasId).toBe(false);
  });
  it("unnamed ICMP types icmptype(N)/code (C25) and icmpv6type(N) (B09)", () => {
    setDateContext(1970, 0);
    fileLine("e1000g0 @0:9 b 198.51.100.66 -> 10.50.12.32 PR icmp len 20 28 icmp icmptype(6)/0 IN");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<i32>(line.icmpType).toBe(6);
    expect<i32>(line.icmpCode).toBe(0);
    fileLine("em1 @0:21 p fe80::2a0:98ff:fe12:3456 -> ff02::16 PR icmpv6 len 48 76 icmpv6 icmpv6type(143)/0 OUT");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u32>(line.proto).toBe(58);
    expect<i32>(line.icmpType).toBe(143);
    expect<string>(hex16(LINE_DST)).toBe("ff020000000000000000000000000016");
  });
  it("ICMPv6 echo and neighbour solicitation (C38, C39)", () => {
    setDateContext(1970, 0);
    fileLine("e1000g0 @0:14 p 2001:db8:10::32 -> 2001:db8:10::1 PR icmpv6 len 40 104 icmpv6 echo/0 K-S OUT");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<bool>(line.isV6).toBe(true);
    expect<i32>(line.icmpType).toBe(128);
    expect<i32>(line.icmpCode).toBe(0);
    fileLine("e1000g0 @0:15 p fe80::214:4fff:fe01:2345 -> ff02::1:ff00:1 PR icmpv6 len 40 72 icmpv6 neighborsolicit/0 IN mbcast");
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<i32>(line.icmpType).toBe(135);
    expect<string>(hex16(LINE_SRC)).toBe("fe8000000000000002144ffffe012345");
  });
});


// Each marker alone after IN/OUT must be accepted (ipmon-format.md §4.9).
function withSuffix(sfx: string): u8 {
  setDateContext(1970, 0);
  return fileLine("em0 @0:2 b 198.51.100.77,443 -> 10.50.12.32,50990 PR tcp len 20 40 -A" + sfx);
}

describe("parseLine: suffix markers", () => {
  it("K-S, K-F, both, and IN / OUT", () => {
    expect<u8>(withSuffix(" K-S IN")).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u8>(line.dir).toBe(DIR_IN);
    expect<u8>(withSuffix(" K-F OUT")).toBe(KIND_PACKET);
    expect<u8>(line.dir).toBe(DIR_OUT);
    expect<u8>(withSuffix(" K-S K-F IN")).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
  });
  it("no direction at all leaves DIR_NONE", () => {
    expect<u8>(withSuffix("")).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u8>(line.dir).toBe(DIR_NONE);
  });
  it("log-tag N and nat-tag T", () => {
    expect<u8>(withSuffix(" IN log-tag 42")).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u8>(withSuffix(" OUT nat-tag abc123")).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u8>(line.dir).toBe(DIR_OUT);
  });
  it("low-ttl, OOW, NEG_OOW, bad", () => {
    expect<u8>(withSuffix(" IN low-ttl")).toBe(KIND_PACKET);
    expect<u8>(withSuffix(" IN OOW")).toBe(KIND_PACKET);
    expect<u8>(withSuffix(" IN NEG_OOW")).toBe(KIND_PACKET);
    expect<u8>(withSuffix(" IN bad")).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
  });
  it("NAT, bad-NAT, bad-src", () => {
    expect<u8>(withSuffix(" OUT NAT")).toBe(KIND_PACKET);
    expect<u8>(withSuffix(" OUT bad-NAT")).toBe(KIND_PACKET);
    expect<u8>(withSuffix(" IN bad-src")).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
  });
  it("multicast, broadcast, mbcast", () => {
    expect<u8>(withSuffix(" IN multicast")).toBe(KIND_PACKET);
    expect<u8>(withSuffix(" IN broadcast")).toBe(KIND_PACKET);
    expect<u8>(withSuffix(" IN mbcast")).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
  });
  it("reason:X (5.1)", () => {
    expect<u8>(withSuffix(" IN reason:pps-rate")).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u8>(line.dir).toBe(DIR_IN);
  });
  it("the full fixed order in one line", () => {
    expect<u8>(withSuffix(" K-S K-F IN log-tag 7 nat-tag t1 low-ttl OOW bad NAT bad-NAT bad-src multicast broadcast mbcast reason:bad-frag")).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
    expect<u8>(line.dir).toBe(DIR_IN);
  });
  it("C34: IN low-ttl bad-src mbcast on UDP", () => {
    setDateContext(1970, 0);
    fileLine("e1000g0 @0:1 b 10.50.12.99,137 -> 10.50.12.255,137 PR udp len 20 78 IN low-ttl bad-src mbcast");
    expect<u8>(line.kind).toBe(KIND_PACKET);
    expect<u8>(line.why).toBe(WHY_NONE);
  });
});
