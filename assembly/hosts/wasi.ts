// Host ABI: the one WASI function the module imports. Fluent Bit's WAMR links every
// wasi_snapshot_preview1 function for filter modules (checked in Fluent Bit 5.1.1: random_get
// returns the kernel's getrandom bytes, in the interpreter and under AOT); the Node host
// provides it from node:crypto (host/engine.mjs).

import { nameKeyPtr, packetKeyPtr } from "../flows/hash";

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function random_get(buf: usize, len: usize): u16;

/**
 * Fills both hash keys (flows/hash.ts) from the host's randomness; runs once, at
 * instantiation (main.ts), before anything is hashed. A host without randomness stops the
 * module there with a clear message rather than run with a key an attacker can know.
 */
export function seedHashKeys(): void {
  const errno = random_get(packetKeyPtr(), 16);
  if (errno != 0 || random_get(nameKeyPtr(), 16) != 0) {
    throw new Error("the host gave no random bytes for the hash keys (WASI random_get errno " + errno.toString() + ")");
  }
}
