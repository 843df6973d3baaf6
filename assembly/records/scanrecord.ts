// Scan records (flows/scans.ts): one per episode, written when the threshold is crossed and
// once more when it ends, under the same event.id, so an index keyed by _id keeps the final
// one. ECS-shaped: event.category network + intrusion_detection, event.kind alert (a
// detection made outside the Elastic Stack), source.ip the scanner; custom fields under
// ipmon.scan. Field reference: README "Scan records".

import * as config from "../config";
import { putIsoTime } from "../parse/clock";
import { putIp } from "../parse/ipaddr";
import { putTransportName, PROTO_ICMP, PROTO_ICMPV6 } from "../parse/protocols";
import { EMPTY_ID } from "../flows/intern";
import {
  distinctTargets, sampleAt, Scan, SCAN_ADDRESS, SCAN_HAS_PORT, SCAN_ICMP, SCAN_OVERFLOW, SCAN_PARTIAL, SCAN_TCP, SCAN_UDP, SCAN_V6,
} from "../flows/scans";
import { beginRecord, endRecord, putAscii, putByte, putI64, putU64 } from "./output";
import { putName, putRecordId } from "./summary";

/** Writes the record of a scan episode; `ended` is false for the one written at the crossing. */
export function writeScan(s: Scan, ended: bool): void {
  const address = s.kind == SCAN_ADDRESS;
  const v6 = (s.flags & SCAN_V6) != 0;
  const p = changetype<usize>(s);
  beginRecord();
  putAscii('{"@timestamp":"');
  putIsoTime(s.firstUs);
  putAscii('","ecs":{"version":"8.17.0"},"event":{"kind":"alert","category":["network","intrusion_detection"],"type":["info"],"action":"');
  putAscii(address ? "address_scan" : "port_scan");
  putAscii('","dataset":"ipmon.scan","module":"ipmon","start":"');
  putIsoTime(s.firstUs);
  putAscii('","end":"');
  putIsoTime(s.lastUs);
  putAscii('","duration":');
  putI64((s.lastUs - s.firstUs) * 1000);
  putAscii(',"id":"');
  // the key and the episode's first attempt: the same for both records of one episode
  putRecordId(p, 40, <u64>s.windowUs);
  putAscii('"},"source":{"ip":"');
  putIp(p, v6);
  putAscii('"}');
  putDestination(s, address, v6);
  putAscii(',"observer":{');
  if (s.observer != EMPTY_ID) {
    putAscii('"hostname":');
    putName(s.observer);
    putByte(0x2c);
  }
  putAscii('"type":"firewall","vendor":"IPFilter","product":"ipmon"},"related":{"ip":["');
  putIp(p, v6);
  if (!address) {
    putAscii('","');
    putIp(p + 16, v6);
  }
  putAscii('"]},"ipmon":{"record_type":"scan","scan":{');
  putScanFields(s, address, v6, ended);
  putAscii("}}}");
  endRecord();
}

/** destination.ip of a port scan; destination.port and network.transport of an address scan. */
function putDestination(s: Scan, address: bool, v6: bool): void {
  if (!address) {
    putAscii(',"destination":{"ip":"');
    putIp(changetype<usize>(s) + 16, v6);
    putAscii('"}');
    return;
  }
  if (s.flags & SCAN_HAS_PORT) {
    putAscii(',"destination":{"port":');
    putU64(s.port);
    putByte(0x7d);
  }
  putAscii(',"network":{"transport":"');
  putTransportName(<u32>s.proto);
  putAscii(v6 ? '","type":"ipv6"}' : '","type":"ipv4"}');
}

function putScanFields(s: Scan, address: bool, v6: bool, ended: bool): void {
  putAscii('"status":"');
  putAscii(ended ? "ended" : "ongoing");
  putAscii(address ? '","distinct_hosts":' : '","distinct_ports":');
  putU64(distinctTargets(s));
  putAscii(',"distinct_exact":');
  putAscii((s.flags & (SCAN_OVERFLOW | SCAN_PARTIAL)) ? "false" : "true");
  putAscii(',"threshold":');
  putU64(address ? config.addressScanThreshold : config.portScanThreshold);
  putAscii(',"interval":');
  putU64(<u64>(config.scanIntervalUs / 1000000));
  putAscii(address ? ',"sample_hosts":[' : ',"sample_ports":[');
  for (let i: u32 = 0; i < <u32>s.sampleCount; i++) {
    if (i > 0) putByte(0x2c);
    const at = sampleAt(s, i);
    if (address) {
      putByte(0x22);
      putIp(at, v6);
      putByte(0x22);
    } else putU64(load<u16>(at));
  }
  putAscii('],"attempts":');
  putU64(s.attempts);
  putAscii(',"blocked":');
  putU64(s.blocked);
  putAscii(',"rejected":');
  putU64(s.rejected);
  putAscii(',"unanswered":');
  putU64(s.unanswered);
  putAscii(',"answered":');
  putU64(s.answered);
  putAscii(',"protocols":[');
  putProtocols(s.protocols, v6);
  putByte(0x5d);
}

function putProtocols(bits: u8, v6: bool): void {
  let first = true;
  if (bits & SCAN_TCP) { putAscii('"tcp"'); first = false; }
  if (bits & SCAN_UDP) { if (!first) putByte(0x2c); putAscii('"udp"'); first = false; }
  if (bits & SCAN_ICMP) {
    if (!first) putByte(0x2c);
    putByte(0x22);
    putTransportName(v6 ? PROTO_ICMPV6 : PROTO_ICMP);
    putByte(0x22);
  }
}
