/**
 * `npm run bench [-- --json] [--out FILE] [--only PREFIX]`: runs every suite and prints one
 * report. `--out FILE` writes the JSON report to FILE (npm's own banner lines go to stdout, so a
 * pipe from `npm run` is not pure JSON without `npm run --silent`).
 * Suites are listed in bench/suites.ts; each adds its own figures.
 */
import { writeFileSync } from 'node:fs';
import { formatTable, type BenchResult } from './report.js';
import { SUITES } from './suites.js';

const args = process.argv.slice(2);
const KNOWN = ['--json', '--only', '--quick', '--out'];
const TAKES_VALUE = ['--only', '--out'];
const unknown = args.filter((a, i) => a.startsWith('-') && !KNOWN.includes(a) && !TAKES_VALUE.includes(args[i - 1]!));
const missingValue = TAKES_VALUE.filter((flag) => args.includes(flag) && !(args[args.indexOf(flag) + 1] ?? '-').match(/^[^-]/));
if (missingValue.length > 0) unknown.push(...missingValue.map((f) => `${f} (needs a value)`));
if (args.includes('--help') || args.includes('-h') || unknown.length > 0) {
  if (unknown.length > 0 && !args.includes('--help') && !args.includes('-h')) process.stderr.write(`bench: bad option ${unknown.join(', ')}\n`);
  process.stderr.write(`usage: npm run bench [-- [--json] [--out FILE] [--quick] [--only PREFIX]]\nsuites: ${SUITES.map((s) => s.name).join(', ')}\n`);
  process.exit(unknown.length > 0 && !args.includes('--help') && !args.includes('-h') ? 2 : 0);
}
const json = args.includes('--json');
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;
const quick = args.includes('--quick');
const outIdx = args.indexOf('--out');
const out = outIdx >= 0 ? args[outIdx + 1] : undefined;
if (only && !SUITES.some((s) => s.name.startsWith(only))) {
  process.stderr.write(`bench: no suite name starts with "${only}"; suites: ${SUITES.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}

const results: BenchResult[] = [];
for (const suite of SUITES) {
  if (only && !suite.name.startsWith(only)) continue;
  process.stderr.write(`bench: ${suite.name}...\n`);
  const t0 = performance.now();
  try {
    results.push(...(await suite.run({ quick, progress: (m) => process.stderr.write(`  ${suite.name}: ${m}\n`) })));
  } catch (err) {
    process.stderr.write(`bench: suite ${suite.name} failed: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  }
  process.stderr.write(`bench: ${suite.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

const report = JSON.stringify({ results }, null, 2) + '\n';
if (out) {
  writeFileSync(out, report);
  process.stderr.write(`bench: JSON report written to ${out}\n`);
}
if (json) process.stdout.write(report);
else process.stdout.write(formatTable(results) + '\n');
