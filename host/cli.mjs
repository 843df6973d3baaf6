#!/usr/bin/env node
// ipmon-flow: correlate IPFilter ipmon packet logs into flow summaries (NDJSON on stdout).

import { createReadStream, statSync, readFileSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { parseArgs } from 'node:util';
import { FlowEngine, ConfigError } from './engine.mjs';

const USAGE = `Usage: ipmon-flow [options] [FILE...]

Reads ipmon log lines (file/stdout mode or syslog-wrapped; FILE may be .gz; "-" or no FILE
reads stdin) and writes one JSON object per line to stdout: a summary per conversation,
each line that is not a packet (STATE, NAT, missed, ...) or was not understood, and a final
stats record. Diagnostics go to stderr.

Options:
  --year YYYY                  year of syslog dates, which carry none (default: this year)
  --utc-offset ±HH:MM          UTC offset of the firewall's local time (default: +00:00)
  --tcp-timeout S              idle timeout of established TCP flows (default 300)
  --tcp-handshake-timeout S    idle timeout of TCP flows still in the handshake (default 60)
  --tcp-attempt-timeout S      report an unanswered SYN after S seconds (default 5)
  --close-grace S              wait after FIN/RST for trailing packets (default 5)
  --udp-timeout S              UDP idle timeout (default 60)
  --icmp-timeout S             ICMP idle timeout (default 60)
  --other-timeout S            idle timeout for other IP protocols (default 60)
  --active-timeout S           also report long flows every S seconds (default 0 = never)
  --capacity N                 flows tracked at once; the least recently seen is reported
                               early (end reason lack_of_resources) when full (default 65536)
  --community-id-seed N        Community ID seed, 0-65535 (default 0)
  --config FILE                JSON file with the same settings (snake_case keys, README)
  --no-stats                   do not write the final stats record
  --progress / --no-progress   progress bar on stderr (default: when stderr is a terminal)
  -h, --help                   show this help
  -v, --version                show the version
`;

const NUMERIC = {
  'tcp-timeout': 'tcp_timeout',
  'tcp-handshake-timeout': 'tcp_handshake_timeout',
  'tcp-attempt-timeout': 'tcp_attempt_timeout',
  'close-grace': 'close_grace',
  'udp-timeout': 'udp_timeout',
  'icmp-timeout': 'icmp_timeout',
  'other-timeout': 'other_timeout',
  'active-timeout': 'active_timeout',
  capacity: 'capacity',
  'community-id-seed': 'community_id_seed',
  year: 'year',
};

class UsageError extends Error {}

/** Turns command-line arguments into { config, files, ... }; throws UsageError on bad input. */
export function parseCommandLine(argv) {
  const options = {
    year: { type: 'string' },
    'utc-offset': { type: 'string' },
    config: { type: 'string' },
    'no-stats': { type: 'boolean' },
    progress: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
  };
  for (const k of Object.keys(NUMERIC)) if (!options[k]) options[k] = { type: 'string' };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err.message);
  }
  const v = parsed.values;
  let config = {};
  if (v.config) {
    let text;
    try {
      text = readFileSync(v.config, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --config ${v.config}: ${err.code || err.message}`);
    }
    try {
      config = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`--config ${v.config} is not valid JSON: ${err.message}`);
    }
    if (config === null || typeof config !== 'object' || Array.isArray(config)) {
      throw new UsageError(`--config ${v.config} must hold a JSON object`);
    }
  }
  for (const [flag, key] of Object.entries(NUMERIC)) {
    if (v[flag] === undefined) continue;
    const n = Number(v[flag]);
    if (v[flag].trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} needs a number, got "${v[flag]}"`);
    config[key] = n;
  }
  if (v['utc-offset'] !== undefined) config.utc_offset = v['utc-offset'];
  if (config.year === undefined) config.year = new Date().getUTCFullYear();
  return {
    config,
    files: parsed.positionals.length ? parsed.positionals : ['-'],
    stats: !v['no-stats'],
    progress: v['no-progress'] ? false : v.progress ? true : undefined,
    help: !!v.help,
    version: !!v.version,
  };
}

function version() {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return pkg.version;
}

/** Writes to stdout, waiting when the pipe is full (bounded memory on a slow consumer). */
async function write(out, buf) {
  if (buf.length === 0) return;
  if (!out.write(buf)) await new Promise((resolve) => out.once('drain', resolve));
}

async function makeProgress(files, enabled) {
  const show = enabled ?? (process.stderr.isTTY && !files.includes('-'));
  if (!show) return null;
  let total = 0;
  for (const f of files) if (f !== '-') total += statSync(f).size;
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'ipmon-flow |{bar}| {percentage}% | {value}/{total} bytes | ETA {eta}s', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv, { stdin = process.stdin, stdout = process.stdout, stderr = process.stderr } = {}) {
  let cmd;
  try {
    cmd = parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    stderr.write(`ipmon-flow: ${err.message}\nTry "ipmon-flow --help".\n`);
    return 2;
  }
  if (cmd.help) {
    stdout.write(USAGE);
    return 0;
  }
  if (cmd.version) {
    stdout.write(`${version()}\n`);
    return 0;
  }
  // Check every input before the first byte goes out, so a typo does not yield half a run.
  for (const f of cmd.files) {
    if (f === '-') continue;
    try {
      const st = statSync(f);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } catch (err) {
      stderr.write(`ipmon-flow: cannot read ${f}: ${err.code === 'ENOENT' ? 'no such file' : err.code || err.message}\n`);
      return 1;
    }
  }
  let engine;
  try {
    engine = new FlowEngine(cmd.config);
  } catch (err) {
    stderr.write(`ipmon-flow: ${err instanceof ConfigError ? 'bad configuration: ' : ''}${err.message}\n`);
    return 2;
  }
  const bar = await makeProgress(cmd.files, cmd.progress);
  let done = 0;
  try {
    for (const f of cmd.files) {
      const raw = f === '-' ? stdin : createReadStream(f, { highWaterMark: 1 << 20 });
      const src = f.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
      if (f.endsWith('.gz')) raw.on('error', (err) => src.destroy(err));
      if (bar) raw.on('data', (chunk) => bar.update((done += chunk.length)));
      try {
        for await (const chunk of src) await write(stdout, engine.push(chunk));
      } catch (err) {
        stderr.write(`ipmon-flow: error reading ${f === '-' ? 'stdin' : f}: ${err.code || err.message}\n`);
        bar?.stop();
        // What was read is still reported, so nothing already counted is lost.
        await write(stdout, engine.drain());
        await write(stdout, engine.flush());
        if (cmd.stats) await write(stdout, engine.stats());
        return 1;
      }
      // A file that does not end in a newline still ends its last line.
      await write(stdout, engine.drain());
    }
    bar?.stop();
    await write(stdout, engine.flush());
    if (cmd.stats) await write(stdout, engine.stats());
  } catch (err) {
    bar?.stop();
    stderr.write(`ipmon-flow: ${err.message}\n`);
    return 1;
  }
  return 0;
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry || process.argv[1]?.endsWith('/ipmon-flow')) {
  const code = await main(process.argv.slice(2));
  process.stdout.write('', () => process.exit(code));
}
