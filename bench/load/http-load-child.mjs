// Load generator for bench/suites/http.ts, run as a SEPARATE process (node, no tsx) so the
// client's CPU work does not share the server's event loop. Reads one JSON argument, runs
// autocannon against a loopback URL, prints one JSON line: per-request latencies (ms), 2xx
// count, non-2xx, errors, elapsed seconds.
// `bodyFiles` (instead of `bodyFile`) cycles through several request bodies. Bounded by `amount` or `duration`.
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';

const cfg = JSON.parse(process.argv[2]);
if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(cfg.url)) throw new Error(`loopback only: ${cfg.url}`);
if (cfg.delayMs) await new Promise((r) => setTimeout(r, cfg.delayMs));

const latencies = [];
let ok = 0;
let non2xx = 0;
const t0 = performance.now();
const instance = autocannon({
  url: cfg.url,
  connections: cfg.connections,
  ...(cfg.amount ? { amount: cfg.amount } : { duration: cfg.duration }),
  ...(cfg.rate ? { overallRate: cfg.rate } : {}),
  method: cfg.method ?? 'GET',
  headers: cfg.headers ?? {},
  ...(cfg.bodyFile ? { body: readFileSync(cfg.bodyFile) } : {}),
  // Several bodies: each connection sends them in turn, round and round.
  ...(cfg.bodyFiles ? { requests: cfg.bodyFiles.map((f) => ({ body: readFileSync(f) })) } : {}),
  timeout: 30,
});
instance.on('response', (_client, status, _bytes, ms) => {
  latencies.push(ms);
  if (status >= 200 && status < 300) ok++;
  else non2xx++;
});
const result = await instance;
process.stdout.write(JSON.stringify({ latencies, ok, non2xx, errors: result.errors, timeouts: result.timeouts, seconds: (performance.now() - t0) / 1000 }) + '\n');
