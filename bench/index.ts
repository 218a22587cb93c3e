/**
 * `npm run bench [-- --json] [--only PREFIX]`: runs every suite and prints one report.
 * Suites are listed in bench/suites/index.ts; each adds its own figures.
 */
import { formatTable, type BenchResult } from './report.js';
import { SUITES } from './suites/index.js';

const args = process.argv.slice(2);
const KNOWN = ['--json', '--only', '--quick'];
const unknown = args.filter((a, i) => a.startsWith('-') && !KNOWN.includes(a) && args[i - 1] !== '--only');
if (args.includes('--help') || args.includes('-h') || unknown.length > 0) {
  if (unknown.length > 0 && !args.includes('--help') && !args.includes('-h')) process.stderr.write(`bench: unknown option ${unknown.join(', ')}\n`);
  process.stderr.write(`usage: npm run bench [-- [--json] [--quick] [--only PREFIX]]\nsuites: ${SUITES.map((s) => s.name).join(', ')}\n`);
  process.exit(unknown.length > 0 && !args.includes('--help') && !args.includes('-h') ? 2 : 0);
}
const json = args.includes('--json');
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;
const quick = args.includes('--quick');

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

if (json) process.stdout.write(JSON.stringify({ results }, null, 2) + '\n');
else process.stdout.write(formatTable(results) + '\n');
