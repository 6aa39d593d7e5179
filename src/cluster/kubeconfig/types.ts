// The kubeconfig file format (clientcmd's v1 Config), with only the fields minicluster writes
// spelled out. Index signatures keep every other field a user or another tool put in the file,
// so merging our entries never drops theirs.
export interface ClusterInfo {
  server: string;
  "certificate-authority-data"?: string;
  [field: string]: unknown;
}

export interface UserInfo {
  "client-certificate-data"?: string;
  "client-key-data"?: string;
  [field: string]: unknown;
}

export interface ContextInfo {
  cluster: string;
  user: string;
  namespace?: string;
  [field: string]: unknown;
}

export interface NamedCluster {
  name: string;
  cluster: ClusterInfo;
}

export interface NamedUser {
  name: string;
  user: UserInfo;
}

export interface NamedContext {
  name: string;
  context: ContextInfo;
}

export interface Kubeconfig {
  apiVersion: "v1";
  kind: "Config";
  clusters: NamedCluster[];
  users: NamedUser[];
  contexts: NamedContext[];
  "current-context": string;
  preferences: Record<string, unknown>;
  [field: string]: unknown;
}

export function emptyKubeconfig(): Kubeconfig {
  return { apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [], "current-context": "", preferences: {} };
}
