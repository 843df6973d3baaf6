// IP protocol and service names as ipmon prints them: getproto() gives the first
// /etc/protocols name (ipmon-format.md §4.5), and `-n` replaces ports by /etc/services
// names (§4.5 "Ports"). Both tables cover what stock BSD/illumos files list for the
// names that occur in practice; an unknown name is reported, never guessed.

import { putAscii, putByte, putU64 } from "../records/output";

// @ts-ignore: decorator
@inline export const PROTO_ICMP: u32 = 1;
// @ts-ignore: decorator
@inline export const PROTO_TCP: u32 = 6;
// @ts-ignore: decorator
@inline export const PROTO_UDP: u32 = 17;
// @ts-ignore: decorator
@inline export const PROTO_ICMPV6: u32 = 58;
// @ts-ignore: decorator
@inline export const PROTO_SCTP: u32 = 132;

// "number name" pairs, one per line. `icmpv6` is what ipmon's own table prints for 58.
const PROTOCOL_NAMES =
  "0 ip\n1 icmp\n2 igmp\n3 ggp\n4 ipencap\n4 ipip\n5 st\n6 tcp\n8 egp\n9 igp\n12 pup\n17 udp\n20 hmp\n22 xns-idp\n" +
  "27 rdp\n29 iso-tp4\n33 dccp\n36 xtp\n37 ddp\n38 idpr-cmtp\n41 ipv6\n43 ipv6-route\n44 ipv6-frag\n45 idrp\n" +
  "46 rsvp\n47 gre\n50 esp\n51 ah\n57 skip\n58 icmpv6\n58 ipv6-icmp\n59 ipv6-nonxt\n60 ipv6-opts\n73 rspf\n81 vmtp\n" +
  "88 eigrp\n89 ospf\n89 ospfigp\n93 ax.25\n94 ipip\n97 etherip\n98 encap\n103 pim\n108 ipcomp\n112 vrrp\n112 carp\n" +
  "115 l2tp\n124 isis\n132 sctp\n133 fc\n135 mobility-header\n136 udplite\n137 mpls-in-ip\n138 manet\n139 hip\n" +
  "140 shim6\n141 wesp\n142 rohc\n255 reserved\n";

// /etc/services names for TCP/UDP ports that `ipmon -n` may print.
const SERVICE_NAMES =
  "7 echo\n9 discard\n13 daytime\n19 chargen\n20 ftp-data\n21 ftp\n22 ssh\n23 telnet\n25 smtp\n37 time\n43 whois\n" +
  "49 tacacs\n53 domain\n67 bootps\n68 bootpc\n69 tftp\n70 gopher\n79 finger\n80 http\n80 www\n88 kerberos\n" +
  "110 pop3\n111 sunrpc\n113 auth\n119 nntp\n123 ntp\n135 epmap\n137 netbios-ns\n138 netbios-dgm\n139 netbios-ssn\n" +
  "143 imap\n161 snmp\n162 snmptrap\n179 bgp\n389 ldap\n443 https\n445 microsoft-ds\n464 kpasswd\n465 smtps\n" +
  "500 isakmp\n512 exec\n513 login\n513 who\n514 shell\n514 syslog\n515 printer\n520 route\n587 submission\n" +
  "631 ipp\n636 ldaps\n873 rsync\n989 ftps-data\n990 ftps\n993 imaps\n995 pop3s\n1080 socks\n1194 openvpn\n" +
  "1433 ms-sql-s\n1723 pptp\n1812 radius\n1813 radius-acct\n2049 nfs\n3128 squid\n3306 mysql\n3389 ms-wbt-server\n" +
  "4500 ipsec-nat-t\n5060 sip\n5353 mdns\n5432 postgresql\n6379 redis\n8080 http-alt\n10050 zabbix-agent\n" +
  "10051 zabbix-trapper\n";

/** IP protocol number for a protocol name or decimal number at p, or -1 if unknown. */
export function protocolFromName(p: usize, n: i32): i32 {
  if (n == 3) {
    const w = (<u32>load<u8>(p) << 16) | (<u32>load<u8>(p + 1) << 8) | <u32>load<u8>(p + 2);
    if (w == 0x746370) return PROTO_TCP; // tcp
    if (w == 0x756470) return PROTO_UDP; // udp
  }
  const num = parseSmallDecimal(p, n);
  if (num >= 0) return num <= 255 ? num : -1;
  return lookupNumber(PROTOCOL_NAMES, p, n);
}

/** Port number for a decimal port or an /etc/services name at p, or -1 if unknown. */
export function portFromText(p: usize, n: i32): i32 {
  const num = parseSmallDecimal(p, n);
  if (num >= 0) return num <= 65535 ? num : -1;
  return lookupNumber(SERVICE_NAMES, p, n);
}

/** Writes the ECS `network.transport` keyword for a protocol number (lowercase IANA keyword). */
export function transportName(proto: u32): string {
  switch (proto) {
    case PROTO_TCP: return "tcp";
    case PROTO_UDP: return "udp";
    case PROTO_ICMP: return "icmp";
    case PROTO_ICMPV6: return "ipv6-icmp";
    // where /etc/protocols (what ipmon prints) and the IANA keyword ECS asks for differ
    case 0: return "hopopt";
    case 4: return "ipv4";
    case 89: return "ospfigp";
  }
  return protocolName(proto);
}

/** Writes the ECS `network.transport` keyword into the output without allocating (see transportName). */
export function putTransportName(proto: u32): void {
  switch (proto) {
    case PROTO_TCP: { putAscii("tcp"); return; }
    case PROTO_UDP: { putAscii("udp"); return; }
    case PROTO_ICMP: { putAscii("icmp"); return; }
    case PROTO_ICMPV6: { putAscii("ipv6-icmp"); return; }
    case 0: { putAscii("hopopt"); return; }
    case 4: { putAscii("ipv4"); return; }
    case 89: { putAscii("ospfigp"); return; }
  }
  if (findProtocol(proto)) {
    const t = PROTOCOL_NAMES;
    for (let i = nameStart; i < nameEnd; i++) putByte(<u32>t.charCodeAt(i));
    return;
  }
  putU64(proto); // a number without a name, as ipmon itself prints it
}

/** The protocol name from the table (first entry for the number), or "" if it has none. */
export function protocolName(proto: u32): string {
  return findProtocol(proto) ? PROTOCOL_NAMES.substring(nameStart, nameEnd) : "";
}

// Where findProtocol found the name: [nameStart, nameEnd) in PROTOCOL_NAMES.
let nameStart: i32 = 0;
let nameEnd: i32 = 0;

/** Finds the first table entry for a protocol number; false if it has none. */
function findProtocol(proto: u32): bool {
  const t = PROTOCOL_NAMES;
  let i = 0;
  const n = t.length;
  while (i < n) {
    let num: u32 = 0;
    while (t.charCodeAt(i) != 0x20) {
      num = num * 10 + <u32>(t.charCodeAt(i) - 0x30);
      i++;
    }
    i++;
    const start = i;
    while (t.charCodeAt(i) != 0x0a) i++;
    if (num == proto) {
      nameStart = start;
      nameEnd = i;
      return true;
    }
    i++;
  }
  return false;
}

/** Decimal value of 1-5 ASCII digits, or -1 if the text is not all digits. */
export function parseSmallDecimal(p: usize, n: i32): i32 {
  if (n < 1 || n > 5) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = <u32>load<u8>(p + i) - 0x30;
    if (d > 9) return -1;
    v = v * 10 + <i32>d;
  }
  return v;
}

function lookupNumber(table: string, p: usize, n: i32): i32 {
  const t = changetype<usize>(table);
  const tn = table.length;
  let i = 0;
  while (i < tn) {
    let num = 0;
    let c = load<u16>(t + (i << 1));
    while (c != 0x20) {
      num = num * 10 + (<i32>c - 0x30);
      i++;
      c = load<u16>(t + (i << 1));
    }
    i++;
    let k = 0;
    let match = true;
    c = load<u16>(t + (i << 1));
    while (c != 0x0a) {
      if (k >= n || <u32>c != (<u32>load<u8>(p + k) | (c >= 0x61 ? 0x20 : 0))) match = false;
      k++;
      i++;
      c = load<u16>(t + (i << 1));
    }
    if (match && k == n) return num;
    i++;
  }
  return -1;
}
