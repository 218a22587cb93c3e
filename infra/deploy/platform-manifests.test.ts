/**
 * Every platform manifest and Dockerfile sets only what something reads: each env var is a
 * variable of the service's config schema (infra/config.ts) with a value it accepts, or one
 * Node itself reads; each command names a bundle scripts/build.mjs makes. The e2e test
 * (test/e2e/emulation.test.ts) then runs each launch in the built image.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { finalEnv, parseDockerfile } from '../../test/helpers/dockerfile.js';
import { readPlatformLaunch, readPlatformLaunches } from '../../test/helpers/platform-manifests.js';

/** Read by Node, not by detectfn's config. */
const NODE_VARS = new Set(['NODE_OPTIONS']);
const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
/** Output names of scripts/build.mjs's ENTRIES (`'src.ts': 'name'`). */
const bundles = new Set([...read('scripts/build.mjs').matchAll(/'[\w/.-]+\.ts':\s*'([\w-]+)'/g)].map((m) => `dist/${m[1]}.js`));

const envSets: [string, Record<string, string>][] = [
  ...readPlatformLaunches().map((l): [string, Record<string, string>] => [l.file, { ...l.env }]),
  ...['infra/deploy/Dockerfile', 'infra/deploy/Dockerfile.gpu'].map((f): [string, Record<string, string>] => [f, finalEnv(parseDockerfile(read(f), f))]),
];

describe('platform manifests', () => {
  it('reads each launch: KEDA runs `node dist/cli.js sqs`, Cloud Run and KServe the image CMD, Lambda dist/lambda.handler', () => {
    expect(readPlatformLaunch('keda-sqs')).toMatchObject({ command: ['node', 'dist/cli.js', 'sqs'], ready: { path: '/readyz', port: 8080 }, runAsUser: 10001 });
    expect(readPlatformLaunch('cloudrun')).toMatchObject({ ready: { path: '/readyz', port: 8080 }, volumes: [{ mountPath: '/models', kind: 'csi' }] });
    expect(readPlatformLaunch('cloudrun').command).toBeUndefined();
    expect(readPlatformLaunch('kserve')).toMatchObject({ envFromSecrets: ['detectfn-s3'], volumes: [{ mountPath: '/etc/detectfn', kind: 'configMap' }, { mountPath: '/tmp', kind: 'emptyDir' }] });
    expect(readPlatformLaunch('lambda')).toMatchObject({ handler: 'dist/lambda.handler', env: { DETECTFN_CACHE_DIR: '/tmp/detectfn-cache' } });
  });

  it('names only bundles that scripts/build.mjs makes', () => {
    expect(bundles).toContain('dist/server.js');
    for (const l of readPlatformLaunches()) {
      const scripts = [...(l.command ?? []), ...(l.args ?? [])].filter((a) => a.startsWith('dist/'));
      if (l.handler) scripts.push(`${l.handler.slice(0, l.handler.lastIndexOf('.'))}.js`);
      for (const s of scripts) expect(bundles, `${l.file}: ${s}`).toContain(s);
    }
  });

  it.each(envSets)('%s sets only variables the service reads, with values it accepts', (file, env) => {
    for (const [name, value] of Object.entries(env)) {
      if (NODE_VARS.has(name)) continue;
      const config = loadConfig({ [name]: value }) as Record<string, unknown>;
      expect(Object.keys(config), `${file}: ${name} is not read by the service (infra/config.ts)`).toContain(name);
    }
  });
});
