// The correlator floor's build and its CLI-shaped runner (issue 8; what it does: floor-correlator.ts).
//
//   node bench/lib/floor-correlator.mjs FLOOR.wasm FILE   reads FILE in 1 MiB pieces, as the CLI
//                                                          does, and prints what it counted as JSON
// floor.bench.mjs times that beside the CLI; fluentbit.bench.mjs calls filter_floor.

import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PIECE = 1 << 20;

/** The floor's bytes, once compiled (a promise). */
let built = null;

/**
 * Compiles floor-correlator.ts (it imports the module's cursor and hash) from the repository
 * root with its own config, floor-correlator.asconfig.json (the release build's optimisation
 * levels, no runtime, no abort import), not the root asconfig.json that builds the module; the
 * floor module's bytes. Built once per process: several benches and tests ask for it.
 */
export function compileFloor() {
  built ??= build();
  return built;
}

async function build() {
  const { default: asc } = await import('assemblyscript/asc');
  let binary = null;
  let stderr = '';
  const { error } = await asc.main([
    'bench/lib/floor-correlator.ts', '--baseDir', ROOT, '--config', 'bench/lib/floor-correlator.asconfig.json',
    '--outFile', 'floor.wasm',
  ], {
    writeFile: (name, contents) => { if (name.endsWith('floor.wasm')) binary = Buffer.from(contents); },
    stderr: { write: (s) => { stderr += s; } },
    stdout: { write: () => {} },
  });
  if (error || !binary) throw new Error(`asc: ${error?.message ?? 'no output'} ${stderr}`);
  return binary;
}

/** Runs every line of `file` through the floor; its counts. */
export function floorFile(bytes, file) {
  const { exports: x } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const input = x.INPUT.value;
  const room = x.INPUT_BYTES.value - 1; // one byte for the newline of an unterminated last line
  const mem = new Uint8Array(x.memory.buffer);
  const fd = openSync(file, 'r');
  let carry = 0;
  let lines = 0;
  try {
    for (;;) {
      const want = Math.min(PIECE, room - carry);
      if (want <= 0) throw new Error(`a line of more than ${room} bytes`);
      const n = readSync(fd, mem, input + carry, want, null);
      const len = carry + n;
      if (n === 0) {
        // the end: the last line even without its newline
        if (len > 0) {
          mem[input + len] = 10;
          lines += x.floorLines(len + 1);
        }
        break;
      }
      // whole lines only; a piece without a newline waits for the next
      const cut = mem.subarray(input, input + len).lastIndexOf(10) + 1;
      if (cut > 0) {
        lines += x.floorLines(cut);
        mem.copyWithin(input, input + cut, input + len);
      }
      carry = len - cut;
    }
  } finally {
    closeSync(fd);
  }
  return {
    lines, parsed: x.parsed.value, tuples: x.tuples.value, evictions: x.evictions.value,
    packets: Number(x.packets.value), bytes: Number(x.bytes.value),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [wasm, file] = process.argv.slice(2);
  if (!wasm || !file) {
    console.error('usage: node bench/lib/floor-correlator.mjs FLOOR.wasm FILE');
    process.exit(2);
  }
  console.log(JSON.stringify(floorFile(readFileSync(wasm), file)));
}
