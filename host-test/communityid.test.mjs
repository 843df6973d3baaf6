// Community ID v1 through the whole module: ipmon lines in, network.community_id out, for the
// official vectors of flow-semantics.md §2.4 (SCTP is not listed: ipmon prints no SCTP ports,
// so the engine cannot see them; assembly/__tests__/records/communityid.spec.ts covers that vector).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correlate } from '../host/index.mjs';
import { ofType } from './lib/project.mjs';
import { communityId } from './lib/communityid.mjs';

const sip6 = 'fe80:1:203:405:607:809:a0b:c0d';
const dip6 = 'fe80:1011:1213:1415:1617:1819:1a1b:1c1d';
const T = '26/07/2021 09:00:00.000000 em0 @0:1 p';

// [line body, expected seed 0, expected seed 1]
const VECTORS = [
  ['1.2.3.4,1122 -> 5.6.7.8,3344 PR tcp len 20 60 -S', '1:wCb3OG7yAFWelaUydu0D+125CLM=', '1:HhA1B+6CoLbiKPEs5nhNYN4XWfk='],
  ['5.6.7.8,3344 -> 1.2.3.4,1122 PR tcp len 20 60 -S', '1:wCb3OG7yAFWelaUydu0D+125CLM=', '1:HhA1B+6CoLbiKPEs5nhNYN4XWfk='],
  ['1.2.3.4,1122 -> 5.6.7.8,3344 PR udp len 20 60', '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=', '1:OShq+iKDAMVouh/4bMxB9Sz4amw='],
  ['5.6.7.8,3344 -> 1.2.3.4,1122 PR udp len 20 60', '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=', '1:OShq+iKDAMVouh/4bMxB9Sz4amw='],
  ['1.2.3.4 -> 5.6.7.8 PR icmp len 20 84 icmp echo/0', '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=', '1:9pr4ZGTICiuZoIh90RRYE2RyXpU='],
  ['5.6.7.8 -> 1.2.3.4 PR icmp len 20 84 icmp echoreply/0', '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=', '1:9pr4ZGTICiuZoIh90RRYE2RyXpU='],
  ['1.2.3.4 -> 5.6.7.8 PR icmp len 20 56 icmp timxceed/transit', '1:f/YiSyWqczrTgfUCZlBUnvHRcPk=', '1:1DD7cWGC/Yg91YGsQeni8du3pIA='],
  [`${sip6} -> ${dip6} PR icmpv6 len 40 104 icmpv6 echo/0`, '1:0bf7hyMJUwt3fMED7z8LIfRpBeo=', '1:IO27GQzPuCtNnwFvjWALMHu5tJE='],
  [`${dip6} -> ${sip6} PR icmpv6 len 40 104 icmpv6 echoreply/0`, '1:0bf7hyMJUwt3fMED7z8LIfRpBeo=', '1:IO27GQzPuCtNnwFvjWALMHu5tJE='],
  [`${sip6} -> ${dip6} PR icmpv6 len 40 104 icmpv6 icmpv6type(146)/0`, '1:fYC8+pz24E+EhANP1EZhpX0Dw10=', '1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s='],
  ['1.2.3.4 -> 5.6.7.8 PR rsvp len 20 (100)', '1:ikv3kmf89luf73WPz1jOs49S768=', '1:/buhqeOmaRCopOZFy9HnoJd5XW8='],
  ['5.6.7.8 -> 1.2.3.4 PR rsvp len 20 (100)', '1:ikv3kmf89luf73WPz1jOs49S768=', '1:/buhqeOmaRCopOZFy9HnoJd5XW8='],
  [`${sip6} -> ${dip6} PR rsvp len 40 (100)`, '1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=', '1:j6EyyfBzL4vWKHFXgUqb5Az3OxM='],
  [`${dip6} -> ${sip6} PR rsvp len 40 (100)`, '1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=', '1:j6EyyfBzL4vWKHFXgUqb5Az3OxM='],
  // baseline_deflt.json rows (seed 0 only)
  ['128.232.110.120,34855 -> 66.35.250.204,80 PR tcp len 20 60 -S', '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
  ['66.35.250.204,80 -> 128.232.110.120,34855 PR tcp len 20 60 -AS', '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
  ['2001:470:e5bf:dead:4957:2174:e82c:4887,63943 -> 2607:f8b0:400c:c03::1a,25 PR tcp len 40 80 -S', '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4='],
  ['192.168.1.52,54585 -> 8.8.8.8,53 PR udp len 20 60', '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
  ['8.8.8.8,53 -> 192.168.1.52,54585 PR udp len 20 60', '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
  ['192.168.0.89 -> 192.168.0.1 PR icmp len 20 84 icmp echo/0', '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  ['192.168.0.1 -> 192.168.0.89 PR icmp len 20 84 icmp echoreply/0', '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  ['10.0.0.1 -> 10.0.0.2 PR icmp len 20 56 icmp timxceed/transit', '1:YHxtAirCG//0OzkcVAukqKQN9xM='],
  ['3ffe:507:0:1:200:86ff:fe05:80da -> 3ffe:501:0:1001::2 PR icmpv6 len 40 104 icmpv6 echo/0', '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg='],
  ['fe80::200:86ff:fe05:80da -> fe80::260:97ff:fe07:69ea PR icmpv6 len 40 72 icmpv6 neighborsolicit/0', '1:dGHyGvjMfljg6Bppwm3bg0LO8TY='],
  ['fe80::260:97ff:fe07:69ea -> fe80::200:86ff:fe05:80da PR icmpv6 len 40 72 icmpv6 neighboradvert/0', '1:dGHyGvjMfljg6Bppwm3bg0LO8TY='],
  ['fe80::200:86ff:fe05:80da -> ff02::2 PR icmpv6 len 40 56 icmpv6 routersolicit/0', '1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0='],
  ['3ffe:501:1800:2345::2 -> 3ffe:507:0:1:200:86ff:fe05:80da PR icmpv6 len 40 100 icmpv6 timxceed/intransit', '1:2ObVBgIn28oZvibYZhZMBgh7WdQ='],
  ['3ffe:501:410:0:2c0:dfff:fe47:33e -> 3ffe:507:0:1:200:86ff:fe05:80da PR icmpv6 len 40 100 icmpv6 unreach/noport', '1:hLZd0XGWojozrvxqE0dWB1iM6R0='],
  ['10.1.12.1 -> 10.1.12.2 PR rsvp len 20 (100)', '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw='],
];

for (const [seedIndex, seed] of [[1, 0], [2, 1]]) {
  test(`official Community ID vectors through the module, seed ${seed}`, async () => {
    let checked = 0;
    for (const v of VECTORS) {
      const expected = v[seedIndex];
      if (!expected) continue;
      const records = await correlate(`${T} ${v[0]} IN\n`, { year: 2021, community_id_seed: seed });
      const [flow] = ofType(records, 'flow');
      assert.ok(flow, v[0]);
      assert.equal(flow.network.community_id, expected, v[0]);
      checked++;
    }
    assert.ok(checked >= 14);
  });
}

test('the independent test implementation agrees with the published vectors', () => {
  assert.equal(communityId({ saddr: '1.2.3.4', daddr: '5.6.7.8', proto: 6, sport: 1122, dport: 3344 }), '1:wCb3OG7yAFWelaUydu0D+125CLM=');
  assert.equal(communityId({ saddr: '5.6.7.8', daddr: '1.2.3.4', proto: 1, sport: 0, dport: 0 }), '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=');
  assert.equal(communityId({ saddr: sip6, daddr: dip6, proto: 46, seed: 1 }), '1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=');
});
