// Zeek's default likely_server_ports (flow-semantics.md §1.4, extracted from the base
// scripts): a first packet sent FROM one of these ports, to a port not in the set, came from
// the server, so the flow's roles are flipped.

const TCP_PORTS: StaticArray<u16> = [
  21, 22, 25, 53, 79, 80, 81, 88, 135, 139, 143, 389, 443, 445, 465, 502, 514, 563, 585, 587, 614, 631, 636, 989, 990,
  992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389, 5222, 5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669,
  8000, 8080, 8888, 20000,
];
const UDP_PORTS: StaticArray<u16> = [
  53, 67, 88, 123, 137, 161, 162, 389, 443, 514, 1812, 2123, 2152, 3389, 3544, 4011, 4754, 4789, 5060, 5072, 5353, 5355,
  6081, 20000,
];

// One bit per port, built once: a lookup per new flow must not scan a list.
const tcpBits: usize = memory.data(8192);
const udpBits: usize = memory.data(8192);
let built = false;

function build(): void {
  for (let i = 0; i < TCP_PORTS.length; i++) setBit(tcpBits, <u32>TCP_PORTS[i]);
  for (let i = 0; i < UDP_PORTS.length; i++) setBit(udpBits, <u32>UDP_PORTS[i]);
  built = true;
}

function setBit(bits: usize, port: u32): void {
  store<u8>(bits + (port >> 3), load<u8>(bits + (port >> 3)) | <u8>(<u32>1 << (port & 7)));
}

/** True if Zeek treats this TCP port as a likely server port. */
export function isTcpServerPort(port: u32): bool {
  if (!built) build();
  return (load<u8>(tcpBits + (port >> 3)) & <u8>(<u32>1 << (port & 7))) != 0;
}

/** True if Zeek treats this UDP port as a likely server port. */
export function isUdpServerPort(port: u32): bool {
  if (!built) build();
  return (load<u8>(udpBits + (port >> 3)) & <u8>(<u32>1 << (port & 7))) != 0;
}
