// The cluster to create: command-line flags merged over the cluster file (flags win), with
// kind's node naming and the control-plane taint when there are workers to schedule onto.

import { UsageError } from "../../cli/errors.js";
import { blocksIn, parseIPv4Cidr, type IPv4Cidr } from "./cidr.js";
import { parseDuration } from "./duration.js";
import { nodeName, validateClusterName } from "./name.js";
import { addressesOverlap, defaultClusterConfig } from "./parse.js";
import { CONTROL_PLANE_TAINT, DEFAULT_CLUSTER_NAME, DEFAULT_WAIT_MS, MAX_NODES, type ClusterConfig, type ClusterFlags, type ClusterSpec, type NodeConfig, type NodeSpec } from "./types.js";

/** Flag values are the user's typing: problems with them are usage errors (exit code 2). */
export function resolveClusterSpec(flags: ClusterFlags, config: ClusterConfig = defaultClusterConfig()): ClusterSpec {
  const from = config.file ? ` (from ${config.file})` : "";

  let name = config.name ?? DEFAULT_CLUSTER_NAME;
  if (flags.name !== undefined) {
    const problem = validateClusterName(flags.name);
    if (problem) throw new UsageError(`--name: ${problem}`);
    name = flags.name;
  }

  const cp = config.nodes.find((n) => n.role === "control-plane") ?? defaultClusterConfig().nodes[0];
  let workers = config.nodes.filter((n) => n.role === "worker");
  if (flags.nodes !== undefined) {
    const n = flagInt(flags.nodes);
    if (n === undefined || n < 1 || n > MAX_NODES) {
      throw new UsageError(`--nodes must be an integer from 1 to ${MAX_NODES} (one control plane plus N-1 workers), got ${show(flags.nodes)}`);
    }
    // The file's workers first (with their labels and ports), then plain ones.
    workers = workers.slice(0, n - 1);
    while (workers.length < n - 1) workers.push({ role: "worker", labels: {}, extraPortMappings: [] });
    const room = blocksIn(parseIPv4Cidr(config.networking.podSubnet) as IPv4Cidr);
    if (n > room) throw new UsageError(`--nodes ${n}: podSubnet ${config.networking.podSubnet}${from} has room for ${room} node${room === 1 ? "" : "s"} (a /24 each)`);
  }

  let image: string | undefined;
  if (flags.image !== undefined) {
    if (!/^\S+$/.test(flags.image)) throw new UsageError(`--image must be an image reference such as minicluster/node:abc123, got ${show(flags.image)}`);
    image = flags.image;
  }

  let waitMs = DEFAULT_WAIT_MS;
  if (flags.wait !== undefined) {
    try {
      waitMs = parseDuration(String(flags.wait));
    } catch (err) {
      throw new UsageError(`--wait: ${(err as Error).message}`);
    }
  }

  const apiServer = { address: config.networking.apiServerAddress, port: config.networking.apiServerPort };
  if (flags.apiServerPort !== undefined) {
    const port = flagInt(flags.apiServerPort);
    if (port === undefined || port < 0 || port > 65535) throw new UsageError(`--api-server-port must be an integer from 0 to 65535 (0 = any free port), got ${show(flags.apiServerPort)}`);
    apiServer.port = port;
  }

  const multi = workers.length > 0;
  const nodes: NodeSpec[] = [toSpec(cp, nodeName(name, "control-plane", 0), multi), ...workers.map((w, i) => toSpec(w, nodeName(name, "worker", i), multi))];

  if (flags.apiServerPort !== undefined && apiServer.port !== 0) {
    for (const node of nodes) {
      for (const m of node.extraPortMappings) {
        if (m.protocol === "TCP" && m.hostPort === apiServer.port && addressesOverlap(m.listenAddress, apiServer.address)) {
          throw new UsageError(`--api-server-port ${apiServer.port}: ${node.name} already publishes ${m.hostPort}/TCP on ${m.listenAddress}${from}`);
        }
      }
    }
  }

  return { name, image, waitMs, apiServer, podSubnet: config.networking.podSubnet, serviceSubnet: config.networking.serviceSubnet, nodes };
}

function toSpec(n: NodeConfig, name: string, multi: boolean): NodeSpec {
  return {
    name,
    role: n.role,
    labels: { ...n.labels },
    taints: n.role === "control-plane" && multi ? [{ ...CONTROL_PLANE_TAINT }] : [],
    extraPortMappings: n.extraPortMappings.map((m) => ({ ...m })),
  };
}

/** An integer flag value, whether yargs parsed it (number, NaN for junk) or left it a string. */
function flagInt(v: number | string): number | undefined {
  const n = typeof v === "number" ? v : /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) ? n : undefined;
}

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));
