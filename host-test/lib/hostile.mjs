// Hostile input for the host's resilience tests: a SYN flood that fills the table, and module
// instances that trap on cue (injected at the module's boundary, as a hostile line would cause
// it: the module itself has no switch for it).

import { instantiate } from '../../host/engine.mjs';

/**
 * Blocked SYNs from n spoofed sources (numbered from `from`), 1 µs apart: past the table's
 * capacity every line evicts a flow and writes a record.
 */
export function synFlood(n, from = 0) {
  let text = '';
  for (let i = from; i < from + n; i++) {
    const us = String(i % 1_000_000).padStart(6, '0');
    text += `03/03/2024 08:00:0${Math.floor(i / 1_000_000)}.${us} em0 @0:9 b 10.${(i >> 16) & 255}.${(i >> 8) & 255}.7,${1024 + (i & 255)} -> 192.0.2.10,445 PR tcp len 20 44 -S IN\n`;
  }
  return text;
}

/**
 * An `instantiate` option for FlowEngine whose export `name` traps (as `unreachable` does)
 * whenever trapsNow(x, ...args) says so; x is the real instance's exports.
 */
export function trappingWhen(name, trapsNow) {
  return (mod) => {
    const x = instantiate(mod).exports;
    const wrapped = Object.create(null);
    for (const [k, v] of Object.entries(x)) wrapped[k] = v;
    wrapped[name] = (...args) => {
      if (trapsNow(x, ...args)) throw new WebAssembly.RuntimeError('unreachable');
      return x[name](...args);
    };
    return { exports: wrapped };
  };
}

/**
 * node_process traps when its input holds `marker`: every time, or only the first `times` times
 * (memory corrupted under the instance once, then gone with it). Instances made by the same
 * option share the count.
 */
export function trappingOn(marker, { times = Infinity } = {}) {
  let left = times;
  return trappingWhen('node_process', (x, n) => {
    const text = Buffer.from(new Uint8Array(x.memory.buffer, x.node_input(0), n)).toString('latin1');
    if (left <= 0 || !text.includes(marker)) return false;
    left--;
    return true;
  });
}
