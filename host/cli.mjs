#!/usr/bin/env node
// ipmon-flow: correlate IPFilter ipmon packet logs into flow summaries (NDJSON on stdout).

import { statSync, readFileSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { FlowEngine, ConfigError, sha256Hex } from './engine.mjs';
import { StreamSink } from './sinks.mjs';
import { Stopper } from './stopper.mjs';
import { LISTEN_OPTIONS, ListenOptionError, parseListenOptions } from './listen-options.mjs';
// Loaded only by the paths that need them (each module loaded costs resident memory for the
// whole run): live.mjs, listen.mjs and syslog.mjs for --follow and --listen, elasticsearch.mjs
// and report/; node:crypto (engine.mjs loads it when a run needs it). node:zlib is not among
// them: engine.mjs needs it anyway.

const USAGE = `Usage: ipmon-flow [options] [FILE...]
       ipmon-flow report [options] FILE... -o report.html   (an HTML page; see report --help)

Reads ipmon log lines (file/stdout mode or syslog-wrapped; FILE may be .gz; "-" or no FILE
reads stdin) and writes one JSON object per line to stdout: a summary per conversation,
each line that is not a packet (STATE, NAT, missed, ...) or was not understood, and a final
stats record. Diagnostics go to stderr.

Options:
  --year YYYY                  year of syslog dates, which carry none (default: the latest
                               year that does not put the log's first date in the future)
  --utc-offset ±HH:MM          UTC offset of the firewall's local time (default: +00:00)
  --tcp-timeout S              idle timeout of established TCP flows (default 300)
  --tcp-handshake-timeout S    idle timeout of TCP flows still in the handshake (default 60)
  --tcp-attempt-timeout S      report an unanswered SYN after S seconds (default 5)
  --close-grace S              wait after FIN/RST for trailing packets (default 5)
  --udp-timeout S              UDP idle timeout (default 60)
  --icmp-timeout S             ICMP idle timeout (default 60)
  --other-timeout S            idle timeout for other IP protocols (default 60)
  --active-timeout S           also report long flows every S seconds (default 0 = never)
  --max-clock-step S           a line this far from its firewall's clock moves it only when the
                               next line agrees; a lone one is an outlier (default 3600, 0 = off)
  --device auto|host|router    how a firewall logs a packet: router = IN and OUT lines of one
                               packet are one packet; host = never paired; auto = judged per
                               logging host from its own lines (default auto)
  --pair-window S              lines of one packet lie at most S seconds apart and may arrive
                               that far out of order (default 0.25; 0 = count every line)
  --syn-retry backoff|zeek     retransmitted SYNs: one attempt while they follow an exponential
                               backoff (default), or Zeek's split 5 s after the first SYN
  --local-nets LIST            comma-separated CIDRs and named networks (private, loopback,
                               link_local_unicast, multicast, ... as Elastic's network direction
                               processor): writes network.direction (default: none)
  --capacity N                 flows tracked at once; the least recently seen is reported
                               early (end reason lack_of_resources) when full (default 65536)
  --community-id-seed N        Community ID seed, 0-65535 (default 0)
  --config FILE                JSON file with the same settings (snake_case keys, README);
                               "observers" sets utc_offset, device and local_networks per
                               logging host
  --no-stats                   do not write the final stats record
  --progress / --no-progress   progress bar on stderr (default: when stderr is a terminal)
  -h, --help                   show this help
  -v, --version                show the version

Live logs (README "Live logs"):
  --follow FILE                follow FILE like tail -F (rotation, truncation), reporting flows
                               as they end, until SIGTERM/SIGINT; "-" follows stdin until it ends
  --from-start                 read what FILE already holds first (default: only new lines)
  --state FILE                 checkpoint the flow table and the read position to FILE, and
                               resume from it after a restart (needs --follow FILE)
  --state-interval S           seconds between checkpoints (default 5)
  --sweep-lag S                while the log is quiet, event time follows the wall clock S
                               seconds behind, for lines written late (default 2)
  --poll-interval S            how often to look for new lines (default 0.25)
  On SIGTERM/SIGINT every open flow is written (end reason forced_end), then the stats record.

Network input (README "Network input"):
  --listen URL                 receive lines instead of reading files, until SIGTERM/SIGINT; may
                               be given more than once. udp://HOST:PORT, tcp://HOST:PORT: syslog
                               (RFC 3164/5424; TCP octet counting or newline framing, detected
                               per connection); add ?format=ndjson for JSON events whose
                               "message" holds the line (Vector's socket sink). HOST is an IP
                               address: empty or localhost is 127.0.0.1, other addresses only as
                               written (0.0.0.0 or [::] for every interface). Port 0: any free
                               port (the one chosen is printed on stderr). With --state, the open
                               flows survive a restart.
  --max-message BYTES          longest message taken; longer ones become ipmon.rejected records
                               (default 65536; K and M suffixes allowed)
  --max-connections N          TCP connections at once; more are refused, counted (default 256)
  --idle-timeout S             close a TCP connection silent for S seconds (default 600, 0 = never)
  --listen-buffer BYTES        received lines waiting for the engine; when full, TCP is not read
                               and UDP datagrams are dropped, counted (default 8M)
  --udp-recv-buffer BYTES      the UDP sockets' kernel receive buffer (default: the system's)

Output (README "Elasticsearch"):
  --output ndjson|elasticsearch  where records go (default ndjson on stdout)
  --es-url URL[,URL...]        Elasticsearch endpoint(s) (env IPMON_FLOW_ES_URL)
  --es-api-key KEY             API key auth (env IPMON_FLOW_ES_API_KEY)
  --es-user USER               basic auth user (env IPMON_FLOW_ES_USER); the password comes
                               from --es-password or env IPMON_FLOW_ES_PASSWORD
  --es-ca FILE                 PEM CA certificate to trust
  --es-insecure                do not verify the server's certificate
  --es-index NAME              index; %Y %m %d come from the record's @timestamp
                               (default ipmon-flow-%Y.%m.%d)
  --es-data-stream NAME        write to a data stream instead (e.g. logs-ipmon-default)
  --es-batch-size N            documents per bulk request (default 1000)
  --es-flush-interval S        send a partial batch after S seconds (default 1)
  --es-buffer N                documents held before input is paused (default 10000)
  --es-max-backoff S           longest wait between retries (default 30)
  --shutdown-timeout S         on SIGTERM, how long to keep trying to deliver (default 30)
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
  'max-clock-step': 'max_clock_step',
  'pair-window': 'pair_window',
  capacity: 'capacity',
  'community-id-seed': 'community_id_seed',
  year: 'year',
};

// host-side settings in seconds: flag → [name, default, minimum]
const SECONDS = {
  'state-interval': ['stateIntervalMs', 5, 0.05],
  'sweep-lag': ['sweepLagMs', 2, 0],
  'poll-interval': ['pollMs', 0.25, 0.01],
  'es-flush-interval': ['esFlushMs', 1, 0.01],
  'es-max-backoff': ['esMaxBackoffMs', 30, 0.01],
  'shutdown-timeout': ['shutdownMs', 30, 0],
};
const COUNTS = {
  'es-batch-size': ['esBatchDocs', 1000, 1],
  'es-buffer': ['esBuffer', 10000, 1],
};
const ES_STRINGS = ['es-url', 'es-api-key', 'es-user', 'es-password', 'es-ca', 'es-index', 'es-data-stream'];

/** A bad command line (exit status 2). */
export class UsageError extends Error {}

/** Reads the live-log, output and Elasticsearch flags; throws UsageError on a bad combination. */
function parseHostOptions(v, positionals, env) {
  const host = {};
  for (const [flag, [name, dflt, min]] of Object.entries(SECONDS)) {
    let n = dflt;
    if (v[flag] !== undefined) {
      n = Number(v[flag]);
      if (v[flag].trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`--${flag} needs a number of seconds of at least ${min}, got "${v[flag]}"`);
    }
    host[name] = Math.round(n * 1000);
  }
  for (const [flag, [name, dflt, min]] of Object.entries(COUNTS)) {
    let n = dflt;
    if (v[flag] !== undefined) {
      n = Number(v[flag]);
      if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} needs a whole number of at least ${min}, got "${v[flag]}"`);
    }
    host[name] = n;
  }
  host.follow = v.follow ?? null;
  if (host.follow === '') throw new UsageError('--follow needs a file name ("-" for stdin)');
  if (host.follow !== null && positionals.length) throw new UsageError('--follow takes one file; give no other FILE arguments');
  try {
    host.listen = parseListenOptions(v);
  } catch (err) {
    if (err instanceof ListenOptionError) throw new UsageError(err.message);
    throw err;
  }
  if (host.listen && (host.follow !== null || positionals.length)) throw new UsageError('--listen reads the network: give no --follow or FILE arguments');
  host.fromStart = !!v['from-start'];
  if (host.fromStart && (host.follow === null || host.follow === '-')) throw new UsageError('--from-start needs --follow FILE');
  host.state = v.state ?? null;
  if (host.state !== null && !host.listen && (host.follow === null || host.follow === '-')) throw new UsageError('--state needs --follow FILE or --listen (a file has a position to resume from; a pipe has not)');
  host.output = v.output ?? 'ndjson';
  if (!['ndjson', 'elasticsearch'].includes(host.output)) throw new UsageError(`--output must be ndjson or elasticsearch, got "${host.output}"`);
  const es = {
    url: v['es-url'] ?? env.IPMON_FLOW_ES_URL,
    apiKey: v['es-api-key'] ?? env.IPMON_FLOW_ES_API_KEY,
    user: v['es-user'] ?? env.IPMON_FLOW_ES_USER,
    password: v['es-password'] ?? env.IPMON_FLOW_ES_PASSWORD,
    caFile: v['es-ca'],
    insecure: !!v['es-insecure'],
    index: v['es-index'],
    dataStream: v['es-data-stream'],
  };
  if (host.output === 'elasticsearch') {
    if (!es.url) throw new UsageError('--output elasticsearch needs --es-url URL (or IPMON_FLOW_ES_URL)');
    if (es.index && es.dataStream) throw new UsageError('give --es-index or --es-data-stream, not both');
    if (es.apiKey && es.user) throw new UsageError('give --es-api-key or --es-user, not both');
    host.es = es;
  } else {
    const used = [...ES_STRINGS, 'es-insecure', 'es-batch-size', 'es-buffer', 'es-flush-interval', 'es-max-backoff'].find((k) => v[k] !== undefined);
    if (used) throw new UsageError(`--${used} needs --output elasticsearch`);
  }
  return host;
}

/** Turns command-line arguments into { config, files, host, ... }; throws UsageError on bad input. */
export function parseCommandLine(argv, env = process.env) {
  const options = {
    year: { type: 'string' },
    'utc-offset': { type: 'string' },
    device: { type: 'string' },
    'syn-retry': { type: 'string' },
    'local-nets': { type: 'string' },
    config: { type: 'string' },
    'no-stats': { type: 'boolean' },
    progress: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    follow: { type: 'string' },
    'from-start': { type: 'boolean' },
    state: { type: 'string' },
    output: { type: 'string' },
    'es-insecure': { type: 'boolean' },
    ...LISTEN_OPTIONS,
  };
  for (const k of Object.keys(NUMERIC)) if (!options[k]) options[k] = { type: 'string' };
  for (const k of [...Object.keys(SECONDS), ...Object.keys(COUNTS), ...ES_STRINGS]) options[k] ??= { type: 'string' };
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
  // the module checks the values and names the key of a bad one
  if (v.device !== undefined) config.device = v.device;
  if (v['syn-retry'] !== undefined) config.syn_retry = v['syn-retry'];
  if (v['local-nets'] !== undefined) config.local_networks = v['local-nets'].split(',').map((x) => x.trim()).filter(Boolean);
  // syslog dates carry no year: without one, each log's first date takes the latest year that
  // does not put it in the future (a log spanning New Year, read in January, stays right)
  if (config.year === undefined && config.reference_time === undefined) config.reference_time = Date.now() / 1000;
  const host = parseHostOptions(v, parsed.positionals, env);
  return {
    config,
    host,
    files: host.follow !== null || host.listen ? [] : parsed.positionals.length ? parsed.positionals : ['-'],
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

async function makeProgress(files, enabled) {
  const show = enabled ?? (process.stderr.isTTY && !files.includes('-'));
  if (!show || files.length === 0) return null;
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

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 };

/** The sink records go to: stdout, or Elasticsearch (loaded only when asked for). */
async function makeSink(cmd, stdout, warn) {
  if (cmd.host.output !== 'elasticsearch') return new StreamSink(stdout);
  const { ElasticsearchSink, clientOptions } = await import('./elasticsearch.mjs');
  const es = cmd.host.es;
  return new ElasticsearchSink({
    clientOptions: clientOptions(es),
    index: es.index,
    dataStream: es.dataStream,
    batchDocs: cmd.host.esBatchDocs,
    maxQueue: cmd.host.esBuffer,
    flushMs: cmd.host.esFlushMs,
    maxBackoffMs: cmd.host.esMaxBackoffMs,
    warn,
  });
}

/**
 * A file's bytes READ_CHUNK at a time, into one buffer that each read overwrites: a stream's
 * fresh Buffer per read was garbage that V8 collected late (tens of MB under a flood). A chunk
 * is valid until the next is taken; the engine copies what it keeps. For a regular file,
 * `place.origin` says where the chunk lies ({ fd, position }), so the engine's journal notes
 * that instead of a copy, and the file is closed when the engine releases it (a FIFO or a
 * device is read once: origin null, copied as before).
 */
async function* fileChunks(path, engine, place) {
  const fh = await open(path, 'r');
  let regular = false;
  try {
    regular = (await fh.stat()).isFile();
    const buf = Buffer.allocUnsafeSlow(READ_CHUNK);
    for (let position = 0; ;) {
      // A regular file's read waits on nothing but the page cache, so it is read in place: the
      // thread pool's round trip left the main thread idle for ~5% of a run. One turn of the
      // event loop per chunk still lets a signal's handler run (the loop checks stop).
      let bytesRead;
      if (regular) {
        await new Promise(setImmediate);
        bytesRead = readSync(fh.fd, buf, 0, READ_CHUNK, null);
      } else {
        ({ bytesRead } = await fh.read(buf, 0, READ_CHUNK, null));
      }
      if (bytesRead === 0) return;
      place.origin = regular ? { fd: fh.fd, position } : null;
      position += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    place.origin = null;
    if (regular) engine.release(fh.fd, () => fh.close().catch(() => {}));
    else await fh.close();
  }
}

const READ_CHUNK = 1 << 20;

/** Reads files or stdin once, start to end (the original mode). Returns the exit code. */
async function runBatch(cmd, engine, sink, { stdin, warn, stop }) {
  const bar = await makeProgress(cmd.files, cmd.progress);
  let done = 0;
  for (const f of cmd.files) {
    // a plain file in one reused buffer; a .gz file inflated on a worker thread; stdin as a
    // stream (a signal must end a read that waits on a quiet pipe, or on the worker; a file's
    // read ends by itself, and the loop checks the stop)
    const gz = f !== '-' && f.endsWith('.gz');
    const plain = f !== '-' && !gz;
    const raw = f === '-' ? stdin : null;
    const place = { origin: null };
    const abort = new AbortController();
    const before = done;
    const src = plain ? fileChunks(f, engine, place)
      : gz ? (await import('./gunzip.mjs')).gunzipChunks(f, { signal: abort.signal, onRead: bar && ((read) => bar.update((done = before + read))) })
      : raw;
    if (bar && raw) raw.on('data', (chunk) => bar.update((done += chunk.length)));
    const interrupt = () => {
      if (gz) abort.abort();
      else if (raw) raw.destroy();
    };
    stop.onRequest(interrupt);
    let writing = false; // an output failure is not a read error: it goes up as it is
    try {
      for await (const chunk of src) {
        if (bar && plain) bar.update((done += chunk.length));
        writing = true;
        // reused pieces: the sink is done with each before the next (no garbage per piece)
        for (const piece of engine.pushPieces(chunk, { reuse: true, origin: place.origin })) await sink.write(piece);
        writing = false;
        if (stop.requested) break;
      }
    } catch (err) {
      if (writing) throw err;
      if (!stop.requested) {
        warn(`error reading ${f === '-' ? 'stdin' : f}: ${err.code || err.message}`);
        bar?.stop();
        // What was read is still reported, so nothing already counted is lost.
        await sink.write(engine.drain());
        for (const piece of engine.flushPieces()) await sink.write(piece);
        if (cmd.stats) await sink.write(engine.stats());
        engine.checkpoint();
        await sink.close();
        return 1;
      }
    } finally {
      stop.offRequest(interrupt);
    }
    if (stop.requested) break;
    // A file that does not end in a newline still ends its last line.
    await sink.write(engine.drain());
  }
  bar?.stop();
  if (stop.requested && engine.pending) {
    // cut off mid-line by the signal: its numbers could be wrong
    warn(`ignored an unfinished last line of ${engine.pending.length} bytes`);
    engine.pending = null;
  }
  for (const piece of engine.flushPieces({ reuse: true })) await sink.write(piece);
  if (cmd.stats) await sink.write(engine.stats());
  engine.checkpoint(); // of an empty table: closes the files the journal still held
  await sink.close();
  return stop.requested ? SIGNAL_EXIT[stop.signal] ?? 1 : 0;
}

/** A digest of the settings that shape flows, to notice a change across --state restarts. */
function configDigest(config) {
  const { year, ...rest } = config; // the default year follows the calendar: not a change
  const sorted = Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
  return sha256Hex(JSON.stringify(sorted));
}

/** Receives lines from the network (--listen) until a signal. Returns the exit code. */
async function runNetwork(cmd, engine, sink, { warn, stop }) {
  const h = cmd.host;
  const [{ Listener }, { offsetMinutes }, { runListen }] = await Promise.all([import('./listen.mjs'), import('./syslog.mjs'), import('./live.mjs')]);
  const listener = new Listener({ ...h.listen, offsetMin: offsetMinutes(cmd.config.utc_offset), warn });
  try {
    await listener.start();
  } catch (err) {
    warn(err.message);
    await sink.close();
    return 1;
  }
  for (const b of listener.bound) warn(`listening on ${b.url}${b.loopback ? '' : ' (not loopback: other hosts can send to it)'}`);
  await runListen({ listener, ...liveOptions(cmd, engine, sink, { warn, stop }) });
  return 0;
}

/** What following a file and listening share: the engines (the first is given), sink, state, timers. */
function liveOptions(cmd, engine, sink, { warn, stop }) {
  const h = cmd.host;
  let first = engine;
  return {
    makeEngine: () => {
      const e = first ?? new FlowEngine(cmd.config);
      first = null;
      return e;
    },
    sink,
    statePath: h.state,
    stats: cmd.stats,
    pollMs: h.pollMs,
    sweepMs: 1000,
    lagUs: h.sweepLagMs * 1000,
    checkpointMs: h.stateIntervalMs,
    warn,
    stop,
    configDigest: configDigest(cmd.config),
  };
}

/** Follows a file or stdin until a signal (or the end of stdin). Returns the exit code. */
async function runLive(cmd, engine, sink, { stdin, warn, stop }) {
  const h = cmd.host;
  if (h.listen) return runNetwork(cmd, engine, sink, { warn, stop });
  const { runFollow } = await import('./live.mjs');
  await runFollow({
    path: h.follow,
    stream: h.follow === '-' ? stdin : null,
    fromStart: h.fromStart,
    ...liveOptions(cmd, engine, sink, { warn, stop }),
  });
  return 0;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv, {
  stdin = process.stdin, stdout = process.stdout, stderr = process.stderr, env = process.env, signals = process,
} = {}) {
  if (argv[0] === 'report') {
    const { reportMain } = await import('./report/cli.mjs');
    return reportMain(argv.slice(1), { parseCommandLine, UsageError, stdin, stdout, stderr, env });
  }
  let cmd;
  try {
    cmd = parseCommandLine(argv, env);
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
  const warn = (msg) => stderr.write(`ipmon-flow: ${msg}\n`);
  let sink;
  try {
    sink = await makeSink(cmd, stdout, warn);
  } catch (err) {
    warn(err.message);
    return 2;
  }
  const stop = new Stopper();
  let deadline = null;
  const onSignal = (sig) => {
    if (stop.requested) {
      // a second signal: the user does not want to wait for the clean shutdown
      stderr.write(`ipmon-flow: ${sig} again, exiting without finishing\n`);
      process.exit(SIGNAL_EXIT[sig] ?? 1);
    }
    stop.request(sig);
    // Delivery may hang on an absent cluster or a stuck reader: give up after the timeout.
    deadline = setTimeout(() => sink.abort?.(`no delivery within --shutdown-timeout after ${sig}`), cmd.host.shutdownMs);
    deadline.unref?.();
  };
  signals.on('SIGTERM', onSignal);
  signals.on('SIGINT', onSignal);
  try {
    const ctx = { stdin, warn, stop };
    const live = cmd.host.follow !== null || cmd.host.listen;
    const code = live ? await runLive(cmd, engine, sink, ctx) : await runBatch(cmd, engine, sink, ctx);
    if (sink.stats?.rejected) {
      warn(`elasticsearch: ${sink.stats.rejected} documents were rejected (see above); ${sink.stats.indexed} indexed`);
      return code || 1;
    }
    return code;
  } catch (err) {
    // the reader went away (`ipmon-flow big.log | head`): stop quietly, as Unix tools do
    if (err.code === 'EPIPE') return EPIPE_EXIT;
    warn(err.message);
    sink.abort?.('stopped by an error');
    return 1;
  } finally {
    clearTimeout(deadline);
    signals.off('SIGTERM', onSignal);
    signals.off('SIGINT', onSignal);
  }
}

/** Exit status of a process ended by SIGPIPE (128 + 13), what `cat big.log | head` gives too. */
const EPIPE_EXIT = 141;

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry || process.argv[1]?.endsWith('/ipmon-flow')) {
  const code = await main(process.argv.slice(2));
  // a closed stdout must not turn into an unhandled error at the very end
  process.stdout.on('error', () => process.exit(code));
  process.stdout.write('', () => process.exit(code));
}
