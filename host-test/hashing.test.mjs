// Keyed hashing (issue 8): tuples that all fall into one bucket of the old, unkeyed table hash
// — found by brute force here, as anyone reading the repository could — cost the keyed table
// no more probe steps than random tuples do. Counted in probe steps (stats
// table_probe_steps), not time: deterministic enough to assert, and no timed assertion.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correlate } from '../host/index.mjs';
import { ofType } from './lib/project.mjs';

const M64 = (1n << 64n) - 1n;
const mul = (a, b) => (a * b) & M64;

/** The table hash before it was keyed (multiply-xorshift over the 40-byte key, then fold). */
function unkeyedHash(words) {
  const C = [0x9e3779b97f4a7c15n, 0xbf58476d1ce4e5b9n, 0x94d049bb133111ebn, 0x9e3779b97f4a7c15n, 0xbf58476d1ce4e5b9n];
  let h = mul(words[0], C[0]);
  for (let i = 1; i < 5; i++) h = mul(h ^ (h >> 29n) ^ words[i], C[i]);
  h ^= h >> 31n;
  return Number((h & 0xffffffffn) ^ (h >> 32n));
}

const le64 = (bytes) => bytes.reduce((acc, b, i) => acc | (BigInt(b) << BigInt(8 * i)), 0n);
const v4word = (ip) => le64([0, 0, 0xff, 0xff, ...ip.split('.').map(Number)]);

/**
 * The 40-byte key words of TCP src:sport -> dst:dport as engine.ts buildKey lays it out, for
 * a source numerically above the destination (so the destination is endpoint A); file mode
 * (no logging host).
 */
function keyWords(src, sport, dst, dport) {
  const ports = BigInt(dport) | (BigInt(sport) << 16n) | (6n << 32n) | (2n << 40n);
  return [0n, v4word(dst), 0n, v4word(src), ports];
}

const stamp = (i) => `03/03/2024 10:00:${String(Math.floor(i / 1000)).padStart(2, '0')}.${String((i % 1000) * 1000).padStart(6, '0')}`;
const synLine = (i, src, sport) => `${stamp(i)} em1 @0:3 b ${src},${sport} -> 192.0.2.10,22 PR tcp len 20 60 -S IN`;

const CAPACITY = 512; // index of 1,024 buckets (two per flow): 1 in 1,024 random tuples collide
const N = 400;

function collidingTuples() {
  const target = unkeyedHash(keyWords('203.0.113.1', 1024, '192.0.2.10', 22)) & (2 * CAPACITY - 1);
  const found = [];
  for (let host = 1; host < 255 && found.length < N; host++) {
    for (let sport = 1024; sport < 65536 && found.length < N; sport++) {
      const src = `203.0.113.${host}`;
      if ((unkeyedHash(keyWords(src, sport, '192.0.2.10', 22)) & (2 * CAPACITY - 1)) === target) found.push([src, sport]);
    }
  }
  return found;
}

function randomTuples() {
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: N }, () => [`203.0.113.${1 + Math.floor(rand() * 254)}`, 1024 + Math.floor(rand() * 64512)]);
}

async function probeSteps(tuples) {
  const text = tuples.map(([src, sport], i) => synLine(i, src, sport)).join('\n') + '\n';
  const records = await correlate(text, { year: 2024, capacity: CAPACITY });
  assert.equal(ofType(records, 'flow').length, tuples.length, 'one flow per tuple');
  return ofType(records, 'stats')[0].ipmon.stats.table_probe_steps;
}

test('tuples crafted against the unkeyed hash cost the keyed table what random tuples cost', async () => {
  const crafted = collidingTuples();
  assert.equal(crafted.length, N);
  // under the old hash all of them share one home bucket: inserting the k-th walks k-1 steps
  const unkeyedSteps = (N * (N - 1)) / 2;
  const keyed = await probeSteps(crafted);
  const random = await probeSteps(randomTuples());
  const ratio = keyed / Math.max(random, 1);
  console.log(`probe steps for ${N} blocked SYNs: crafted ${keyed}, random ${random} (ratio ${ratio.toFixed(2)}); the unkeyed table: at least ${unkeyedSteps} for the crafted ones`);
  assert.ok(keyed < unkeyedSteps / 20, `crafted tuples no longer pile up (${keyed} steps)`);
  assert.ok(ratio < 3, `crafted ${keyed} vs random ${random} probe steps`);
});

test('two processes hash alike tuples differently: the key is per process', async () => {
  const crafted = collidingTuples().slice(0, 200);
  const counts = [];
  for (let i = 0; i < 5; i++) counts.push(await probeSteps(crafted));
  // with one fixed key the five counts would be equal
  assert.ok(new Set(counts).size > 1, `probe steps ${counts.join(', ')}`);
});

test('hash keys come from the kernel: randomFill fills every byte, differently each time', async () => {
  const { randomFill } = await import('../host/engine.mjs');
  for (const n of [0, 1, 16, 100_000]) {
    const a = new Uint8Array(n);
    const b = new Uint8Array(n);
    randomFill(a);
    randomFill(b);
    if (n >= 16) assert.notDeepEqual(a, b, `${n} bytes`);
    // a byte left as allocated (0) in every one of 100,000 would mean the fill stopped short
    if (n === 100_000) assert.ok(a.subarray(n - 64).some((v) => v !== 0), 'filled to the end');
  }
});
