// The service proxy: desired rules (pure), the iptables-restore applier, and the watcher that ties
// them to the API server. The kubelet starts one on every node (src/kubelet/pods/real-deps.ts).
export { IptablesApplier, type ApplierOptions, type ApplyResult } from "./applier.js";
export { desiredRules, restoreInput, parseKernelState, portEndpoints, type DesiredRules, type ProxyConfig } from "./rules.js";
export { ConntrackCleaner, staleUdpFlows, type UdpFlowFilter, type UdpServicePort } from "./conntrack.js";
export { ServiceProxy, type ServiceProxyOptions } from "./watcher.js";
