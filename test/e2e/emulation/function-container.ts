/**
 * @module test/e2e/emulation/function-container
 * Step 4: the detectfn image as the platform would run it: read-only root filesystem, a tmpfs
 * on /tmp for the model cache, its port published on 127.0.0.1 only, on the emulation's own
 * Docker network, manifests bind-mounted read-only (a ConfigMap / secret volume elsewhere).
 * Readiness is the image's own /readyz (explicit wait strategy: the image has no curl).
 */
import { GenericContainer, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import type { Readable } from 'node:stream';

/** GenericContainer cannot ask for a read-only root or a loopback-only port binding; this can. */
class LockedDownContainer extends GenericContainer {
  protected override async beforeContainerCreated(): Promise<void> {
    this.hostConfig.ReadonlyRootfs = true;
    for (const bindings of Object.values(this.hostConfig.PortBindings ?? {})) {
      for (const b of bindings as { HostIp?: string }[]) b.HostIp = '127.0.0.1';
    }
  }
}

export interface FunctionContainerOptions {
  readonly image: string;
  readonly network: StartedNetwork;
  readonly env: Record<string, string>;
  /** Host folder mounted read-only at /etc/detectfn. */
  readonly configDir: string;
  readonly labels: Record<string, string>;
  /** Every log line the service writes (JSON, one per line). */
  readonly onLog: (line: string) => void;
  /** @default 300_000 */
  readonly readyTimeoutMs?: number;
}

export const SERVICE_PORT = 8080;

function splitLines(stream: Readable, onLine: (l: string) => void): void {
  let rest = '';
  stream.on('data', (chunk: Buffer | string) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) onLine(l);
  });
  stream.on('end', () => rest.trim() && onLine(rest));
}

export function startFunctionContainer(o: FunctionContainerOptions): Promise<StartedTestContainer> {
  return new LockedDownContainer(o.image)
    .withNetwork(o.network)
    .withLabels(o.labels)
    .withEnvironment({ LOG_LEVEL: 'info', PORT: String(SERVICE_PORT), ...o.env })
    .withTmpFs({ '/tmp': 'rw,size=512m' })
    .withBindMounts([{ source: o.configDir, target: '/etc/detectfn', mode: 'ro' }])
    .withExposedPorts(SERVICE_PORT)
    .withLogConsumer((s) => splitLines(s, o.onLog))
    .withWaitStrategy(Wait.forHttp('/readyz', SERVICE_PORT).forStatusCode(200))
    .withStartupTimeout(o.readyTimeoutMs ?? 300_000)
    .start();
}
