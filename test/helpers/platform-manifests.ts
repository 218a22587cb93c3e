/**
 * @module test/helpers/platform-manifests
 * What each platform manifest tells its platform to run: the container's command, args, env,
 * volumes, user and readiness probe, read from the files as shipped (KEDA Deployment, Cloud Run
 * Service, KServe InferenceService, the Lambda Dockerfile's CMD). The e2e test runs exactly
 * this in the built image; the unit test checks every env var set here is one the service reads.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { execCmd, finalEnv, parseDockerfile } from './dockerfile.js';

export type Platform = 'keda-sqs' | 'cloudrun' | 'kserve' | 'lambda';

export interface PlatformVolume {
  readonly mountPath: string;
  /** configMap / csi: files the platform provides; emptyDir: a scratch folder. */
  readonly kind: 'configMap' | 'csi' | 'emptyDir';
  /** ConfigMap name or bucket (csi), for messages. */
  readonly source?: string;
}

export interface PlatformLaunch {
  readonly platform: Platform;
  /** Repository-relative path of the manifest. */
  readonly file: string;
  /** Kubernetes `command` (replaces the image's entrypoint and CMD); undefined keeps the image's. */
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  /** Lambda: the handler the runtime loads ("dist/lambda.handler"). */
  readonly handler?: string;
  /** Literal env entries, in file order. */
  readonly env: Readonly<Record<string, string>>;
  /** Secrets whose keys become env (envFrom.secretRef): the platform provides them. */
  readonly envFromSecrets: readonly string[];
  readonly volumes: readonly PlatformVolume[];
  readonly runAsUser?: number;
  /** HTTP readiness (startupProbe, else readinessProbe) the platform waits for. */
  readonly ready?: { readonly path: string; readonly port: number };
}

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');
type Obj = Record<string, any>;

export const PLATFORM_FILES: Readonly<Record<Platform, string>> = {
  'keda-sqs': 'infra/deploy/aws/sqs-consumer-keda.yaml',
  cloudrun: 'infra/deploy/cloudrun/service.yaml',
  kserve: 'infra/deploy/kserve/inferenceservice.yaml',
  lambda: 'infra/deploy/aws/Dockerfile.lambda',
};

/** Where the pod spec sits in each kind of document. */
const POD_SPEC: Record<string, (d: Obj) => Obj | undefined> = {
  Deployment: (d) => d.spec?.template?.spec,
  Service: (d) => d.spec?.template?.spec,
  InferenceService: (d) => d.spec?.predictor,
};

function fromPodSpec(platform: Platform, file: string): PlatformLaunch {
  const docs = parseAllDocuments(read(file)).map((d) => d.toJS() as Obj);
  const doc = docs.find((d) => POD_SPEC[d.kind]);
  const pod = doc && POD_SPEC[doc.kind]!(doc);
  const c: Obj | undefined = pod?.containers?.[0];
  if (!pod || !c) throw new Error(`${file}: no container spec in a ${Object.keys(POD_SPEC).join('/')} document`);
  const env: Record<string, string> = {};
  for (const e of (c.env ?? []) as Obj[]) {
    if (typeof e.value !== 'string') throw new Error(`${file}: env ${e.name} has no literal string value`);
    env[e.name] = e.value;
  }
  const byName = new Map<string, Obj>(((pod.volumes ?? []) as Obj[]).map((v) => [v.name, v]));
  const volumes = ((c.volumeMounts ?? []) as Obj[]).map((m): PlatformVolume => {
    const v = byName.get(m.name);
    if (v?.configMap) return { mountPath: m.mountPath, kind: 'configMap', source: v.configMap.name };
    if (v?.csi) return { mountPath: m.mountPath, kind: 'csi', source: v.csi.volumeAttributes?.bucketName };
    if (v?.emptyDir) return { mountPath: m.mountPath, kind: 'emptyDir' };
    throw new Error(`${file}: volume ${m.name} (mounted at ${m.mountPath}) is not a configMap, csi or emptyDir volume`);
  });
  const probe: Obj | undefined = (c.startupProbe ?? c.readinessProbe)?.httpGet;
  return {
    platform,
    file,
    ...(c.command ? { command: c.command } : {}),
    ...(c.args ? { args: c.args } : {}),
    env,
    envFromSecrets: ((c.envFrom ?? []) as Obj[]).map((e) => e.secretRef?.name).filter(Boolean),
    volumes,
    ...(c.securityContext?.runAsUser !== undefined ? { runAsUser: c.securityContext.runAsUser } : {}),
    ...(probe ? { ready: { path: probe.path, port: Number(probe.port) } } : {}),
  };
}

function fromLambdaDockerfile(file: string): PlatformLaunch {
  const d = parseDockerfile(read(file), file);
  const [handler, ...rest] = execCmd(d);
  if (!handler || rest.length > 0) throw new Error(`${file}: CMD must be one handler name, got ${JSON.stringify(execCmd(d))}`);
  return { platform: 'lambda', file, handler, env: finalEnv(d), envFromSecrets: [], volumes: [] };
}

export function readPlatformLaunch(platform: Platform): PlatformLaunch {
  const file = PLATFORM_FILES[platform];
  return platform === 'lambda' ? fromLambdaDockerfile(file) : fromPodSpec(platform, file);
}

export const readPlatformLaunches = (): PlatformLaunch[] => (Object.keys(PLATFORM_FILES) as Platform[]).map(readPlatformLaunch);
