// The version the API server reports at /version and kubelets report as theirs. A module of its
// own so that a worker's kubelet can read it without loading the API server (its schemas,
// OpenAPI and handlers are megabytes of heap a worker's process does not need).

export const SERVER_VERSION = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.0-minicluster",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2026-11-25T00:00:00Z",
  goVersion: "go1.23.0",
  compiler: "gc",
  platform: `linux/${process.arch === "x64" ? "amd64" : process.arch}`,
};
