// Runs the ipmon-flow CLI as a long-lived child, the way Vector's exec source does: stdin is
// /dev/null, NDJSON is read from stdout as it comes, stderr is kept for assertions. Children
// are tracked by PID and only those are ever signalled.

import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readStateFile } from '../../host/state.mjs';

/** Path of the CLI under test. */
export const CLI = fileURLToPath(new URL('../../host/cli.mjs', import.meta.url));

const running = new Set();

/** Generous limit for anything a test waits for (2 shared cores: no timing assertions). */
export const WAIT_MS = 30_000;

/**
 * Starts the CLI with `args`. Returns { pid, records, stderr, signal(sig), exited, waitFor() }:
 * records fills up with parsed stdout lines, exited resolves to { code, signal }.
 */
export function startCli(args, { cwd, env, stdin = 'ignore' } = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd, env: { ...process.env, ...env }, stdio: [stdin, 'pipe', 'pipe'],
  });
  running.add(child);
  const run = {
    pid: child.pid,
    child,
    records: [],
    stdout: '',
    stderr: '',
    exited: null,
    /** Sends a signal to this child (by its PID). */
    signal(sig) {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, sig);
    },
    /** Resolves once pred(run) holds; rejects after `ms` with what was seen so far. */
    async waitFor(pred, what, ms = WAIT_MS) {
      const t0 = Date.now();
      while (!pred(run)) {
        if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; stderr: ${run.stderr}`);
        if (run.done) throw new Error(`the CLI exited while waiting for ${what}; stderr: ${run.stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    done: false,
  };
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text) => {
    run.stdout += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop();
    for (const l of lines) if (l) run.records.push(JSON.parse(l));
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (t) => {
    run.stderr += t;
  });
  run.exited = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      run.done = true;
      resolve({ code, signal });
    });
  });
  return run;
}

/** Kills (SIGKILL, by PID) every child this module started that is still running. */
export async function killLeftovers() {
  const waits = [];
  for (const child of running) {
    waits.push(new Promise((r) => child.once('close', r)));
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(waits);
}

/** Flow records among `records`. */
export const flowsOf = (records) => records.filter((r) => r.ipmon?.record_type === 'flow');

/** µs since the epoch of an ISO timestamp with a fraction. */
export function isoUs(s) {
  const m = /\.(\d+)Z$/.exec(s);
  return Date.parse(s.replace(/\.\d+Z$/, 'Z')) * 1000 + Number((m?.[1] ?? '').padEnd(6, '0').slice(0, 6));
}

/** The generator's key for a flow record: observer, protocol, endpoints and start time. */
export function flowKey(r) {
  return [r.observer?.hostname ?? null, r.network.transport, r.source.ip, r.source.port ?? null,
    r.destination.ip, r.destination.port ?? null, isoUs(r.event.start)].join('|');
}

/** The same key for a ground-truth flow from host-test/lib/generator.mjs. */
export function truthKey(f) {
  return [f.observer, f.transport, f.src_ip, f.src_port, f.dst_ip, f.dst_port, f.start_us].join('|');
}

/** Differences between a flow record and its ground truth (empty when they agree). */
export function compareToTruth(r, f) {
  const diffs = [];
  const check = (name, got, want) => {
    if (got !== want) diffs.push(`${name}: got ${got}, want ${want}`);
  };
  check('source.packets', r.source.packets, f.src_packets);
  check('source.bytes', r.source.bytes, f.src_bytes);
  check('destination.packets', r.destination.packets, f.dst_packets);
  check('destination.bytes', r.destination.bytes, f.dst_bytes);
  check('end', isoUs(r.event.end), f.end_us);
  check('conn_state', r.ipmon.conn_state, f.conn_state);
  check('end_reason', r.ipmon.end_reason, f.end_reason);
  check('lines', r.ipmon.lines, f.lines);
  return diffs;
}

/**
 * Waits until the CLI's state file says all of `log` has been read and its records delivered
 * (checkpoints are written only after delivery), i.e. the CLI has caught up.
 */
export async function waitConsumed(statePath, log, ms = WAIT_MS) {
  const t0 = Date.now();
  for (;;) {
    const st = statSync(log, { bigint: true });
    const i = readStateFile(statePath).state?.meta.input;
    if (i && i.ino === String(st.ino) && i.offset === Number(st.size)) return;
    if (Date.now() - t0 > ms) throw new Error(`the CLI did not catch up with ${log}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}
