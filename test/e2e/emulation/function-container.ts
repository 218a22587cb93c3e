/**
 * @module test/e2e/emulation/function-container
 * Step 4: the detectfn image as the platform would run it: read-only root filesystem, a tmpfs
 * on /tmp for the model cache, its port published on 127.0.0.1 only, on the emulation's own
 * Docker network, config folders bind-mounted read-only (a ConfigMap / secret / bucket volume
 * elsewhere). The platform manifests' runs (platform-runs.ts) also set the command, args and
 * user. Readiness is the image's own /readyz unless told otherwise (explicit wait strategy:
 * the image has no curl).
 */
import { GenericContainer, Wait, type StartedNetwork, type StartedTestContainer, type WaitStrategy } from 'testcontainers';
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
  /** Host folders mounted read-only (source -> target in the container). */
  readonly mounts: readonly { readonly source: string; readonly target: string }[];
  /** Replaces the image's entrypoint (Kubernetes `command`); its CMD is then dropped, as there. */
  readonly entrypoint?: readonly string[];
  /** Replaces the image's CMD (Kubernetes `args`). */
  readonly cmd?: readonly string[];
  /** `uid[:gid]`. @default the image's USER */
  readonly user?: string;
  /** @default HTTP 200 on /readyz at SERVICE_PORT */
  readonly wait?: WaitStrategy;
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
  let c = new LockedDownContainer(o.image)
    .withNetwork(o.network)
    .withLabels(o.labels)
    .withEnvironment(o.env)
    .withTmpFs({ '/tmp': 'rw,size=512m' })
    .withBindMounts(o.mounts.map((m) => ({ ...m, mode: 'ro' as const })))
    .withExposedPorts(SERVICE_PORT)
    .withLogConsumer((s) => splitLines(s, o.onLog))
    .withWaitStrategy(o.wait ?? Wait.forHttp('/readyz', SERVICE_PORT).forStatusCode(200))
    .withStartupTimeout(o.readyTimeoutMs ?? 300_000);
  if (o.entrypoint) c = c.withEntrypoint([...o.entrypoint]);
  if (o.entrypoint || o.cmd) c = c.withCommand([...(o.cmd ?? [])]);
  if (o.user) c = c.withUser(o.user);
  return c.start();
}
