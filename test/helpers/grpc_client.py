"""A second, independent KServe v2 gRPC client: Debian's python3-grpcio with stubs that
python3-grpc-tools' protoc generated from the server's own .proto files (test/integration/
grpc.test.ts generates them into a temp dir). Usage: grpc_client.py STUBS_DIR PORT KEY MODEL IMAGE.
Prints one JSON object with what each call answered."""
import json
import struct
import sys

stubs, port, key, model, image = sys.argv[1:6]
sys.path.insert(0, stubs)
import grpc  # noqa: E402
import grpc_service_pb2 as pb  # noqa: E402
import grpc_service_pb2_grpc as rpc  # noqa: E402
import health_pb2 as hpb  # noqa: E402
import health_pb2_grpc as hrpc  # noqa: E402

channel = grpc.insecure_channel(f"127.0.0.1:{port}")
stub = rpc.GRPCInferenceServiceStub(channel)
md = [("authorization", f"Bearer {key}")]
data = open(image, "rb").read()


def infer(name):
    tensor = pb.ModelInferRequest.InferInputTensor(name="image", datatype="BYTES", shape=[1])
    return stub.ModelInfer(pb.ModelInferRequest(model_name=name, inputs=[tensor], raw_input_contents=[struct.pack("<I", len(data)) + data]), metadata=md, timeout=60)


res = infer(model)
raw = {o.name: r for o, r in zip(res.outputs, res.raw_output_contents)}
n = struct.unpack("<i", raw["num_dets"][:4])[0]
try:
    infer("nope")
    unknown = "OK"
except grpc.RpcError as e:
    unknown = e.code().name
status = hrpc.HealthStub(channel).Check(hpb.HealthCheckRequest(service="")).status
print(json.dumps({
    "live": stub.ServerLive(pb.ServerLiveRequest()).live,
    "inputs": [[t.name, t.datatype, list(t.shape)] for t in stub.ModelMetadata(pb.ModelMetadataRequest(name=model), metadata=md).inputs],
    "outputs": [[o.name, o.datatype, list(o.shape)] for o in res.outputs],
    "num_dets": n,
    "boxes": list(struct.unpack(f"<{n * 4}f", raw["det_boxes"][: n * 16])),
    "classes": list(struct.unpack(f"<{n}i", raw["det_classes"][: n * 4])),
    "unknown_model": unknown,
    "health": hpb.HealthCheckResponse.ServingStatus.Name(status),
}))
