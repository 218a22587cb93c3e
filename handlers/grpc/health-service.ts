/**
 * @module handlers/grpc/health-service
 * `grpc.health.v1.Health` for Kubernetes gRPC probes: SERVING only while every model is ready
 * (registry.allReady(), as /readyz), NOT_SERVING otherwise. The service name '' (the server)
 * and 'inference.GRPCInferenceService' are known; Check on any other name is NOT_FOUND and
 * Watch sends SERVICE_UNKNOWN, as the health protocol says. Watch sends the status at once and
 * again on every change. The registry has no change events, so open watches look every
 * WATCH_POLL_MS (one timer for all of them, only while any is open); on shutdown they get
 * NOT_SERVING and are ended, so they do not hold the drain.
 */
import * as grpc from '@grpc/grpc-js';
import type { ModelRegistry } from '../../infra/runtime/model-service.js';

export const KNOWN_SERVICES: ReadonlySet<string> = new Set(['', 'inference.GRPCInferenceService']);
export const WATCH_POLL_MS = 250;

type Status = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
type Watch = grpc.ServerWritableStream<{ service: string }, { status: Status }>;

export interface HealthService {
  readonly implementation: grpc.UntypedServiceImplementation;
  /** Sends NOT_SERVING to every watch and ends them; later checks answer NOT_SERVING. */
  shutdown(): void;
}

export function healthService(registry: ModelRegistry): HealthService {
  let stopping = false;
  const watches = new Map<Watch, Status>();
  let timer: NodeJS.Timeout | undefined;
  const statusOf = (service: string): Status => (!KNOWN_SERVICES.has(service) ? 'SERVICE_UNKNOWN' : !stopping && registry.allReady() ? 'SERVING' : 'NOT_SERVING');
  const send = (w: Watch) => {
    const now = statusOf(w.request.service);
    if (watches.get(w) !== now) w.write({ status: now });
    watches.set(w, now);
  };
  const stopTimer = () => {
    clearInterval(timer);
    timer = undefined;
  };
  return {
    implementation: {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const status = statusOf(call.request.service);
        if (status === 'SERVICE_UNKNOWN') callback({ code: grpc.status.NOT_FOUND, details: `unknown service '${call.request.service}'` });
        else callback(null, { status });
      },
      Watch: (call: Watch) => {
        send(call);
        if (stopping) return void call.end();
        call.on('cancelled', () => {
          watches.delete(call);
          if (watches.size === 0) stopTimer();
        });
        timer ??= setInterval(() => watches.forEach((_, w) => send(w)), WATCH_POLL_MS).unref();
      },
    },
    shutdown() {
      stopping = true;
      stopTimer();
      for (const w of watches.keys()) (send(w), w.end());
      watches.clear();
    },
  };
}
