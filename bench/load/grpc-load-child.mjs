// gRPC load generator for bench/suites/grpc.ts, run as a SEPARATE process (plain node) so the
// client's protobuf work does not share the server's event loop (as http-load-child.mjs does
// for HTTP). Reads one JSON argument: {port, protoDir, model, imageFile, clients, duration}.
// Each client has its own channel (its own HTTP/2 connection) and keeps one ModelInfer with the
// image as a BYTES raw_input_contents element in flight until `duration` seconds pass. Prints
// one JSON line: per-request latencies (ms), ok count, errors (with the first message), seconds.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { readFileSync } from 'node:fs';

const cfg = JSON.parse(process.argv[2]);
const defs = grpc.loadPackageDefinition(protoLoader.loadSync('grpc_service.proto', { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [cfg.protoDir] }));
const image = readFileSync(cfg.imageFile);
const raw = Buffer.alloc(4 + image.byteLength);
raw.writeUInt32LE(image.byteLength, 0);
image.copy(raw, 4);
const request = { model_name: cfg.model, inputs: [{ name: 'image', datatype: 'BYTES', shape: [1] }], raw_input_contents: [raw] };

const latencies = [];
let ok = 0;
let errors = 0;
let firstError;
const t0 = performance.now();
const until = t0 + cfg.duration * 1000;
const clients = Array.from({ length: cfg.clients }, () => new defs.inference.GRPCInferenceService(`127.0.0.1:${cfg.port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
const one = (client) => new Promise((resolve) => {
  const start = performance.now();
  client.ModelInfer(request, { deadline: Date.now() + 30_000 }, (err) => {
    latencies.push(performance.now() - start);
    if (err) (errors++, (firstError ??= err.message));
    else ok++;
    resolve();
  });
});
await Promise.all(clients.map(async (client) => {
  while (performance.now() < until) await one(client);
}));
clients.forEach((c) => c.close());
process.stdout.write(JSON.stringify({ latencies, ok, errors, firstError, seconds: (performance.now() - t0) / 1000 }) + '\n');
