// `minicluster create`: an ordered list of named actions (kind's model), shown with listr2.
// A failure removes whatever this run made (unless --retain); a cluster that already existed is
// never touched.
import { Listr, PRESET_TIMER } from "listr2";
import type Docker from "dockerode";
import { API_SERVER_CONTAINER_PORT } from "../../provision/labels.js";
import { DockerProvider, NameInUseError } from "../../provision/docker/provider.js";
import type { SecurityMode } from "../../provision/types.js";
import type { ClusterSpec, NodeSpec } from "../config/types.js";
import { ApiPoller, pollUntil } from "../access/wait.js";
import { kubeconfigFor, defaultKubeconfigPath, contextName } from "../access/kubeconfig.js";
import { mergeKubeconfig, removeFromKubeconfig } from "../kubeconfig/index.js";
import { engineMessage } from "../../provision/docker/errors.js";
import { internalApiServer, issueClusterCredentials, nodeFiles, type ClusterCredentials, type NodeConfig } from "./node-files.js";
import { assertPortFree, isPortConflict, pickFreePort } from "./ports.js";

export interface CreateOptions {
  /** Write the kubeconfig only to this file instead of $KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
  /** Keep what a failed create made, for debugging. */
  retain: boolean;
}

export interface CreateDeps {
  docker: Docker;
  /** Returns the node image tag to use, building it when missing. */
  ensureImage: (onProgress: (line: string) => void) => Promise<string>;
  renderer: "default" | "simple" | "silent";
}

export interface CreateResult {
  name: string;
  server: string;
  kubeconfig: string;
  context: string;
  nodes: string[];
  ms: number;
}

interface Ctx {
  image: string;
  creds: ClusterCredentials;
  mode: SecurityMode;
  port: number;
  created: boolean;
}

/** How long the API server may take to answer after the nodes start (it takes well under 1 s). */
const API_WAIT_MS = 60_000;

export async function createCluster(spec: ClusterSpec, opts: CreateOptions, deps: CreateDeps): Promise<CreateResult> {
  const started = Date.now();
  const provider = new DockerProvider(deps.docker);
  const kubeconfigFile = opts.kubeconfig ?? defaultKubeconfigPath();
  const cp = spec.nodes.find((n) => n.role === "control-plane");
  if (!cp) throw new Error("a cluster needs a control-plane node");
  const ctx = { created: false } as Ctx;
  const server = () => `https://${spec.apiServer.address === "0.0.0.0" ? "127.0.0.1" : spec.apiServer.address}:${ctx.port}`;

  const tasks = new Listr<Ctx>(
    [
      {
        title: `Checking that cluster "${spec.name}" can be created`,
        task: async () => {
          if ((await provider.listClusters()).includes(spec.name)) {
            throw new NameInUseError(`a cluster named "${spec.name}" already exists (delete it with \`minicluster delete --name ${spec.name}\`)`);
          }
          if (spec.apiServer.port !== 0) await assertPortFree(spec.apiServer.address, spec.apiServer.port, "API server port");
          for (const n of spec.nodes) {
            for (const m of n.extraPortMappings) {
              if (m.protocol === "TCP" && m.hostPort !== 0) await assertPortFree(m.listenAddress, m.hostPort, `extraPortMappings of ${n.name}`);
            }
          }
        },
      },
      {
        title: spec.image ? `Checking node image ${spec.image}` : "Preparing the node image",
        task: async (c, task) => {
          if (spec.image) {
            if (!(await provider.imageExists(spec.image))) throw new Error(`node image ${spec.image} is not in the Docker engine (build one with \`minicluster build node-image\`)`);
            c.image = spec.image;
          } else {
            c.image = await deps.ensureImage((line) => {
              task.output = line;
            });
          }
          task.title = `Node image ${c.image}`;
        },
      },
      {
        title: "Creating the network and the cluster credentials",
        task: async (c) => {
          const [, creds, mode, port] = await Promise.all([
            provider.createNetwork(spec.name).then(() => {
              c.created = true;
            }),
            issueClusterCredentials(spec.nodes.map((n) => n.name)),
            provider.securityMode(c.image),
            spec.apiServer.port !== 0 ? Promise.resolve(spec.apiServer.port) : pickFreePort(spec.apiServer.address),
          ]);
          c.creds = creds;
          c.mode = mode;
          c.port = port;
        },
      },
      {
        title: `Creating and starting ${spec.nodes.length} node${spec.nodes.length === 1 ? "" : "s"}`,
        task: async (c, task) => {
          const makeNode = async (n: NodeSpec) => {
            const config: NodeConfig = {
              cluster: spec.name,
              nodeName: n.name,
              role: n.role,
              apiServer: internalApiServer(spec.name),
              labels: n.labels,
              taints: n.taints,
              podSubnet: spec.podSubnet,
              serviceSubnet: spec.serviceSubnet,
              ...(n.role === "control-plane" ? { tlsSans: [n.name, spec.apiServer.address] } : {}),
            };
            const portMappings = [...n.extraPortMappings];
            if (n.role === "control-plane") {
              portMappings.unshift({ containerPort: API_SERVER_CONTAINER_PORT, hostPort: c.port, listenAddress: spec.apiServer.address, protocol: "TCP" });
            }
            await provider.createNode(spec.name, c.image, { name: n.name, role: n.role, files: nodeFiles(config, c.creds), portMappings }, c.mode);
            await provider.startNode(n.name);
          };
          await Promise.all(
            spec.nodes.map(async (n) => {
              for (let attempt = 1; ; attempt++) {
                try {
                  await makeNode(n);
                  return;
                } catch (err) {
                  // Another program took the free port between our check and Docker's bind: pick again.
                  if (n.role !== "control-plane" || spec.apiServer.port !== 0 || attempt >= 3 || !isPortConflict(engineMessage(err))) throw err;
                  await provider.removeNode(n.name);
                  c.port = await pickFreePort(spec.apiServer.address);
                  task.output = `port taken meanwhile; retrying with ${c.port}`;
                }
              }
            }),
          );
          task.title = `Started ${spec.nodes.length} node${spec.nodes.length === 1 ? "" : "s"} (${c.mode === "privileged" ? "privileged" : "without --privileged: the engine refuses it"})`;
        },
      },
      {
        title: "Waiting for the API server",
        task: async (c) => {
          const poller = new ApiPoller({ server: server(), ca: c.creds.ca.cert, client: c.creds.admin });
          let polls = 0;
          try {
            await pollUntil(
              async () => {
                if (await poller.ready()) return true;
                // A control plane that crashes at start would otherwise be waited for in vain.
                if (++polls % 10 === 0) {
                  const problem = await provider.nodeProblem(cp.name);
                  if (problem) throw new Error(problem);
                }
                return undefined;
              },
              Date.now() + API_WAIT_MS,
              () => `the API server at ${server()} did not answer within ${API_WAIT_MS / 1000} s (see \`minicluster export logs --name ${spec.name}\`)`,
              50,
            );
          } finally {
            await poller.close();
          }
        },
      },
      {
        title: `Writing the kubeconfig (${kubeconfigFile})`,
        task: async (c) => {
          await mergeKubeconfig(kubeconfigFile, kubeconfigFor(spec.name, server(), c.creds.ca.cert, c.creds.admin));
        },
      },
      {
        title: `Waiting for ${spec.nodes.length} node${spec.nodes.length === 1 ? "" : "s"} to be Ready`,
        skip: () => spec.waitMs === 0,
        task: async (c, task) => {
          const poller = new ApiPoller({ server: server(), ca: c.creds.ca.cert, client: c.creds.admin });
          let last: string[] = [];
          try {
            await pollUntil(
              async () => {
                const ready = await poller.readyNodes();
                if (ready) {
                  if (ready.length !== last.length) task.output = `${ready.length}/${spec.nodes.length} Ready`;
                  last = ready;
                }
                return ready && spec.nodes.every((n) => ready.includes(n.name)) ? true : undefined;
              },
              Date.now() + spec.waitMs,
              () => {
                const missing = spec.nodes.map((n) => n.name).filter((n) => !last.includes(n));
                return `not Ready within ${Math.round(spec.waitMs / 1000)} s: ${missing.join(", ")} (see \`minicluster export logs --name ${spec.name}\`)`;
              },
              100,
            );
          } finally {
            await poller.close();
          }
        },
      },
    ],
    {
      ctx,
      exitOnError: true,
      renderer: deps.renderer as "default",
      fallbackRenderer: "simple",
      rendererOptions: { timer: PRESET_TIMER, collapseSubtasks: false },
      fallbackRendererOptions: { timer: PRESET_TIMER },
    },
  );

  try {
    await tasks.run();
  } catch (err) {
    if (ctx.created && !opts.retain) {
      await provider.deleteCluster(spec.name).catch(() => {});
      await removeFromKubeconfig(kubeconfigFile, contextName(spec.name)).catch(() => {});
    }
    throw err;
  }
  return {
    name: spec.name,
    server: server(),
    kubeconfig: kubeconfigFile,
    context: contextName(spec.name),
    nodes: spec.nodes.map((n) => n.name),
    ms: Date.now() - started,
  };
}
