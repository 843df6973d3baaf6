// Reads the report's inputs: ipmon logs go through the flow engine as in the CLI; flow NDJSON
// written earlier by ipmon-flow goes straight to the collector. Which one a file holds is told
// from its content: ipmon lines never start with "{", ipmon-flow records always do.

import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { CollectorSink } from './collect.mjs';

const OPEN_BRACE = 0x7b;

/** True when the first non-blank byte of `chunk` opens a JSON object. */
export function looksLikeNdjson(chunk) {
  for (const b of chunk) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    return b === OPEN_BRACE;
  }
  return false;
}

function openInput(file, stdin) {
  const raw = file === '-' ? stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  if (!file.endsWith('.gz')) return raw;
  const src = raw.pipe(createGunzip());
  raw.on('error', (err) => src.destroy(err));
  return src;
}

/**
 * Reads every file into `collector`; ipmon logs share one engine (as the CLI does), whose open
 * flows and stats record are added at the end. Returns { logs, ndjson }: how many files of each.
 */
export async function readInputs(files, engine, collector, { stdin = process.stdin } = {}) {
  const sink = new CollectorSink(collector);
  const kinds = { logs: 0, ndjson: 0 };
  for (const f of files) {
    const name = f === '-' ? 'stdin' : f;
    let mode = null;
    const records = new CollectorSink(collector);
    try {
      for await (const chunk of openInput(f, stdin)) {
        mode ??= looksLikeNdjson(chunk) ? 'ndjson' : 'log';
        if (mode === 'ndjson') await records.write(chunk);
        else await sink.write(engine.push(chunk));
      }
      if (mode === 'ndjson') await records.close();
      else await sink.write(engine.drain()); // a last line without a newline still counts
    } catch (err) {
      throw new Error(`${name}: ${err instanceof SyntaxError ? `not ipmon-flow NDJSON (${err.message})` : err.code || err.message}`);
    }
    if (mode === 'ndjson') kinds.ndjson++;
    else kinds.logs++;
  }
  if (kinds.logs) {
    await sink.write(engine.flush());
    await sink.write(engine.stats());
  }
  await sink.close();
  return kinds;
}
