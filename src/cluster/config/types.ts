// The cluster file as parsed (ClusterConfig) and the cluster to create once the command-line
// flags are merged over it (ClusterSpec). Both are plain data: no Docker, no I/O.

export type NodeRole = "control-plane" | "worker";
export type PortProtocol = "TCP" | "UDP" | "SCTP";

/** The apiVersions a cluster file may declare; kind's is accepted so kind files work unchanged. */
export const API_VERSION = "minicluster.dev/v1alpha1";
export const KIND_API_VERSION = "kind.x-k8s.io/v1alpha4";
export const API_VERSIONS: readonly string[] = [API_VERSION, KIND_API_VERSION];

export const DEFAULT_CLUSTER_NAME = "minicluster";
export const DEFAULT_POD_SUBNET = "10.244.0.0/16";
export const DEFAULT_SERVICE_SUBNET = "10.96.0.0/16";
/** Where the API server (and, by default, every extra port mapping) is published on the host. */
export const DEFAULT_LISTEN_ADDRESS = "127.0.0.1";
/** Total nodes (control plane included) one cluster may have. */
export const MAX_NODES = 20;
/** Default of `--wait`: how long create waits for every node to be Ready. */
export const DEFAULT_WAIT_MS = 5 * 60_000;

export const CONTROL_PLANE_TAINT: Taint = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" };

export interface PortMapping {
  containerPort: number;
  /** 0 = the Docker engine picks a free port. */
  hostPort: number;
  listenAddress: string;
  protocol: PortProtocol;
}

export interface NodeConfig {
  role: NodeRole;
  labels: Record<string, string>;
  extraPortMappings: PortMapping[];
}

export interface NetworkingConfig {
  /** Host port the API server is published on; 0 = pick a free one. */
  apiServerPort: number;
  apiServerAddress: string;
  podSubnet: string;
  serviceSubnet: string;
}

/** A parsed, validated cluster file with its defaults filled in. */
export interface ClusterConfig {
  /** The file it came from (as given), for messages; undefined for the built-in default. */
  file?: string;
  apiVersion: string;
  /** Absent when the file does not name the cluster (the flag or the default decides). */
  name?: string;
  /** Never empty: one control-plane node first when the file lists none. */
  nodes: NodeConfig[];
  networking: NetworkingConfig;
}

export interface Taint {
  key: string;
  value?: string;
  effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface NodeSpec {
  /** Container name = hostname = Kubernetes node name (`dev-control-plane`, `dev-worker2`). */
  name: string;
  role: NodeRole;
  labels: Record<string, string>;
  taints: Taint[];
  extraPortMappings: PortMapping[];
}

/** Everything `create` needs to know about the cluster to make. */
export interface ClusterSpec {
  name: string;
  /** Node image; undefined = the default node image (built on demand). */
  image?: string;
  /** 0 = return once the API answers; otherwise how long to wait for every node to be Ready. */
  waitMs: number;
  apiServer: { address: string; port: number };
  podSubnet: string;
  serviceSubnet: string;
  /** Control-plane node first, then the workers in order. */
  nodes: NodeSpec[];
}

/** The `create` flags resolveClusterSpec understands (as yargs hands them over; all optional). */
export interface ClusterFlags {
  name?: string;
  nodes?: number | string;
  image?: string;
  wait?: string | number;
  apiServerPort?: number | string;
}
