// Stands in for dockerode's BuildKit session module in the bundle. micado builds with
// the classic builder; the real module pulls in gRPC and protobuf (1.1 MB of the CLI's
// 1.3 MB, most of its start-up time) for BuildKit builds only.
module.exports = function withSession() {
  throw new Error('BuildKit builds are not supported by micado: use the classic builder');
};
