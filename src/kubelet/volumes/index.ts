// Pod volumes and per-pod files (hosts, resolv.conf, hostname) on the node.
export { validatePayloadPath, writeAtomic, type FileProjection, type Payload } from "./atomic-writer.js";
export { checkHostPath, type HostPathType } from "./host-path.js";
export { DEFAULT_PODS_DIR, validateSubPath, VolumeManager, VolumeSetupError, type PodFilePaths, type PreparedVolume, type PreparedVolumes, type VolumeManagerOptions } from "./manager.js";
export { DEFAULT_MODE, volumePayload, type ObjectSource } from "./payload.js";
export { formatResolvConf, hostsFile, parseResolvConf, podDnsConfig, podHostname, DEFAULT_CLUSTER_DOMAIN, type DnsConfig, type DnsOptions } from "./pod-files.js";
export { requiresRefresh, ServiceAccountTokenManager, tokenRequestBody } from "./sa-token.js";
