import { outReset, outPtr, outLen, MODE_NDJSON } from "../../records/output";
import {
  protocolFromName, portFromText, transportName, protocolName, parseSmallDecimal, putTransportName,
  PROTO_ICMP, PROTO_TCP, PROTO_UDP, PROTO_ICMPV6, PROTO_SCTP,
} from "../../parse/protocols";

const BUF = memory.data(64);

function put(s: string): i32 {
  return <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, BUF);
}
function proto(s: string): i32 { const n = put(s); return protocolFromName(BUF, n); }
function port(s: string): i32 { const n = put(s); return portFromText(BUF, n); }
function dec(s: string): i32 { const n = put(s); return parseSmallDecimal(BUF, n); }

describe("constants", () => {
  it("are the IANA numbers", () => {
    expect<u32>(PROTO_ICMP).toBe(1);
    expect<u32>(PROTO_TCP).toBe(6);
    expect<u32>(PROTO_UDP).toBe(17);
    expect<u32>(PROTO_ICMPV6).toBe(58);
    expect<u32>(PROTO_SCTP).toBe(132);
  });
});

describe("protocolFromName", () => {
  it("knows the names ipmon prints", () => {
    expect<i32>(proto("tcp")).toBe(6);
    expect<i32>(proto("udp")).toBe(17);
    expect<i32>(proto("icmp")).toBe(1);
    expect<i32>(proto("icmpv6")).toBe(58);
    expect<i32>(proto("ipv6-icmp")).toBe(58);
    expect<i32>(proto("ip")).toBe(0);
    expect<i32>(proto("igmp")).toBe(2);
    expect<i32>(proto("gre")).toBe(47);
    expect<i32>(proto("esp")).toBe(50);
    expect<i32>(proto("ah")).toBe(51);
    expect<i32>(proto("ipv6")).toBe(41);
    expect<i32>(proto("ipv6-frag")).toBe(44);
    expect<i32>(proto("ipv6-route")).toBe(43);
    expect<i32>(proto("ipv6-opts")).toBe(60);
    expect<i32>(proto("ipencap")).toBe(4);
    expect<i32>(proto("ipip")).toBe(4); // illumos /etc/protocols: ipip 4 (FreeBSD uses 94)
    expect<i32>(proto("ospf")).toBe(89);
    expect<i32>(proto("vrrp")).toBe(112);
    expect<i32>(proto("carp")).toBe(112);
    expect<i32>(proto("sctp")).toBe(132);
    expect<i32>(proto("ax.25")).toBe(93);
    expect<i32>(proto("reserved")).toBe(255);
  });
  it("is case-insensitive", () => {
    expect<i32>(proto("TCP")).toBe(6);
    expect<i32>(proto("Icmp")).toBe(1);
    expect<i32>(proto("IPv6-Frag")).toBe(44);
  });
  it("accepts decimal protocol numbers 0-255", () => {
    expect<i32>(proto("6")).toBe(6);
    expect<i32>(proto("0")).toBe(0);
    expect<i32>(proto("255")).toBe(255);
    expect<i32>(proto("256")).toBe(-1);
  });
  it("returns -1 for unknown names, prefixes and extensions", () => {
    expect<i32>(proto("frob")).toBe(-1);
    expect<i32>(proto("")).toBe(-1);
    expect<i32>(proto("tc")).toBe(-1);
    expect<i32>(proto("tcpx")).toBe(-1);
    expect<i32>(proto("ipv")).toBe(-1);
    expect<i32>(proto("ipv6-")).toBe(-1);
  });
});

describe("portFromText", () => {
  it("decimal ports 0-65535", () => {
    expect<i32>(port("22")).toBe(22);
    expect<i32>(port("0")).toBe(0);
    expect<i32>(port("65535")).toBe(65535);
    expect<i32>(port("00080")).toBe(80);
    expect<i32>(port("65536")).toBe(-1);
    expect<i32>(port("123456")).toBe(-1);
  });
  it("/etc/services names", () => {
    expect<i32>(port("ssh")).toBe(22);
    expect<i32>(port("domain")).toBe(53);
    expect<i32>(port("http")).toBe(80);
    expect<i32>(port("www")).toBe(80);
    expect<i32>(port("https")).toBe(443);
    expect<i32>(port("bootps")).toBe(67);
    expect<i32>(port("bootpc")).toBe(68);
    expect<i32>(port("netbios-ns")).toBe(137);
    expect<i32>(port("shell")).toBe(514);
    expect<i32>(port("syslog")).toBe(514);
    expect<i32>(port("ms-wbt-server")).toBe(3389);
    expect<i32>(port("zabbix-agent")).toBe(10050);
    expect<i32>(port("zabbix-trapper")).toBe(10051);
    expect<i32>(port("SSH")).toBe(22);
  });
  it("returns -1 for unknown names", () => {
    expect<i32>(port("nosuchsvc")).toBe(-1);
    expect<i32>(port("")).toBe(-1);
    expect<i32>(port("ss")).toBe(-1);
    expect<i32>(port("sshd")).toBe(-1);
    expect<i32>(port("22a")).toBe(-1);
  });
});

describe("protocolName", () => {
  it("gives the first table name for a number", () => {
    expect<string>(protocolName(6)).toBe("tcp");
    expect<string>(protocolName(58)).toBe("icmpv6");
    expect<string>(protocolName(47)).toBe("gre");
    expect<string>(protocolName(112)).toBe("vrrp");
    expect<string>(protocolName(255)).toBe("reserved");
    expect<string>(protocolName(142)).toBe("rohc");
  });
  it("gives \"\" for numbers without a name", () => {
    expect<string>(protocolName(7)).toBe("");
    expect<string>(protocolName(254)).toBe("");
    expect<string>(protocolName(1000)).toBe("");
  });
});

describe("transportName", () => {
  it("uses the lowercase IANA keywords for the common transports", () => {
    expect<string>(transportName(6)).toBe("tcp");
    expect<string>(transportName(17)).toBe("udp");
    expect<string>(transportName(1)).toBe("icmp");
    expect<string>(transportName(58)).toBe("ipv6-icmp");
    expect<string>(transportName(132)).toBe("sctp");
    expect<string>(transportName(47)).toBe("gre");
    expect<string>(transportName(50)).toBe("esp");
    expect<string>(transportName(44)).toBe("ipv6-frag");
  });
  // Regression (protocols.ts transportName/protocolName): ECS network.transport is "the Keyword name"
  // of the IANA protocol registry, lowercased (flow-semantics.md §3, ECS table). For these
  // numbers the /etc/protocols name in PROTOCOL_NAMES is not the IANA keyword:
  // 0 HOPOPT, 4 IPv4, 89 OSPFIGP.
  it("uses the IANA keyword where /etc/protocols differs (0 hopopt, 4 ipv4, 89 ospfigp)", () => {
    expect<string>(transportName(0)).toBe("hopopt");
    expect<string>(transportName(4)).toBe("ipv4");
    expect<string>(transportName(89)).toBe("ospfigp");
  });
  it("gives \"\" for numbers without a name (the caller then writes the number)", () => {
    expect<string>(transportName(254)).toBe("");
  });
});

describe("parseSmallDecimal", () => {
  it("parses 1-5 ASCII digits", () => {
    expect<i32>(dec("0")).toBe(0);
    expect<i32>(dec("99999")).toBe(99999);
    expect<i32>(dec("00007")).toBe(7);
  });
  it("returns -1 for empty, too long or non-digit text", () => {
    expect<i32>(dec("")).toBe(-1);
    expect<i32>(dec("123456")).toBe(-1);
    expect<i32>(dec("1a")).toBe(-1);
    expect<i32>(dec("-1")).toBe(-1);
    expect<i32>(dec(" 1")).toBe(-1);
  });
});

describe("putTransportName", () => {
  it("writes the same keyword transportName returns, straight into the output", () => {
    const protos: u32[] = [0, 1, 4, 6, 17, 41, 44, 47, 50, 58, 89, 132, 200];
    for (let i = 0; i < protos.length; i++) {
      outReset(MODE_NDJSON);
      putTransportName(protos[i]);
      const written = String.UTF8.decodeUnsafe(outPtr(), <usize>outLen());
      const expected = transportName(protos[i]);
      expect<string>(written).toBe(expected.length > 0 ? expected : protos[i].toString());
    }
  });
});
