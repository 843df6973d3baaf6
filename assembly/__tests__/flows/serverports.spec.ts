import { isTcpServerPort, isUdpServerPort } from "../../flows/serverports";

// Zeek's default likely_server_ports (flow-semantics.md §1.4).
const TCP: u32[] = [
  21, 22, 25, 53, 79, 80, 81, 88, 135, 139, 143, 389, 443, 445, 465, 502, 514, 563, 585, 587, 614, 631, 636, 989, 990,
  992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389, 5222, 5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669,
  8000, 8080, 8888, 20000,
];
const UDP: u32[] = [
  53, 67, 88, 123, 137, 161, 162, 389, 443, 514, 1812, 2123, 2152, 3389, 3544, 4011, 4754, 4789, 5060, 5072, 5353, 5355,
  6081, 20000,
];

describe("isTcpServerPort", () => {
  it("is true for exactly the 49 listed ports", () => {
    let n = 0;
    for (let p: u32 = 0; p < 65536; p++) {
      const listed = TCP.includes(p);
      if (isTcpServerPort(p) != listed) n++;
    }
    expect<i32>(n).toBe(0);
    expect<i32>(TCP.length).toBe(49);
  });
  it("spot checks", () => {
    expect<bool>(isTcpServerPort(443)).toBe(true);
    expect<bool>(isTcpServerPort(3389)).toBe(true);
    expect<bool>(isTcpServerPort(23)).toBe(false);
    expect<bool>(isTcpServerPort(0)).toBe(false);
    expect<bool>(isTcpServerPort(65535)).toBe(false);
    expect<bool>(isTcpServerPort(10050)).toBe(false);
  });
});

describe("isUdpServerPort", () => {
  it("is true for exactly the 24 listed ports", () => {
    let n = 0;
    for (let p: u32 = 0; p < 65536; p++) {
      if (isUdpServerPort(p) != UDP.includes(p)) n++;
    }
    expect<i32>(n).toBe(0);
    expect<i32>(UDP.length).toBe(24);
  });
  it("leaves out the DHCP client port and DoQ (68, 784, 853)", () => {
    expect<bool>(isUdpServerPort(67)).toBe(true);
    expect<bool>(isUdpServerPort(68)).toBe(false);
    expect<bool>(isUdpServerPort(784)).toBe(false);
    expect<bool>(isUdpServerPort(853)).toBe(false);
    expect<bool>(isUdpServerPort(22)).toBe(false);
  });
});
