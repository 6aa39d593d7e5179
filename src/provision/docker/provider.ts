// The Docker provider: node containers, their volumes and the cluster network, found again only by
// their labels. Node containers need the rights to run nested containers (runc, network namespaces,
// iptables); `--privileged` gives them where the engine allows it, and where it is refused (an engine
// that cannot grant CAP_SYS_RESOURCE) a compatible set does: every other capability, no
// seccomp/apparmor profile, unmasked /proc and /sys paths, the host's cgroup namespace and a
// writable /sys/fs/cgroup.
import { promises as fs } from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { pack } from "tar-stream";
import { extract as extractTar } from "tar-fs";
import {
  API_SERVER_CONTAINER_PORT,
  LABEL_CLUSTER,
  LABEL_MODE,
  LABEL_NODE,
  LABEL_ROLE,
  networkName,
  volumeName,
} from "../labels.js";
import type { DeleteResult, Endpoint, NodeFile, NodePlan, NodeRole, NodeStatus, SecurityMode } from "../types.js";
import { engineMessage, statusOf } from "./errors.js";

export class NameInUseError extends Error {
  override readonly name = "NameInUseError";
}

export class DockerProvider {
  constructor(readonly docker: Docker) {}

  /**
   * Whether this engine lets containers run --privileged: some refuse at start ("unable to apply
   * caps"). Checked with a throwaway container of `image` that runs /bin/true.
   */
  async securityMode(image: string): Promise<SecurityMode> {
    const c = await this.docker.createContainer({
      Image: image,
      Entrypoint: ["/bin/true"],
      Labels: { [LABEL_CLUSTER]: "" },
      HostConfig: { Privileged: true, AutoRemove: false },
    });
    try {
      await c.start();
      await c.wait();
      return "privileged";
    } catch (err) {
      const msg = engineMessage(err);
      if (/caps|operation not permitted|privileged/i.test(msg)) return "compat";
      throw new Error("checking whether the engine allows privileged containers", { cause: err });
    } finally {
      await c.remove({ force: true }).catch(() => {});
    }
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  async createNetwork(cluster: string): Promise<void> {
    try {
      await this.docker.createNetwork({
        Name: networkName(cluster),
        Driver: "bridge",
        CheckDuplicate: true,
        Labels: { [LABEL_CLUSTER]: cluster },
        Options: { "com.docker.network.bridge.enable_ip_masquerade": "true" },
      });
    } catch (err) {
      if (statusOf(err) === 409) throw new NameInUseError(`a Docker network named ${networkName(cluster)} already exists: is cluster "${cluster}" being created elsewhere?`);
      throw new Error(`creating network ${networkName(cluster)}`, { cause: err });
    }
  }

  /** Creates the container of one node (not started) and puts its files in place. */
  async createNode(cluster: string, image: string, node: NodePlan, mode: SecurityMode): Promise<void> {
    const ports: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    const exposed: Record<string, object> = {};
    for (const m of node.portMappings) {
      const key = `${m.containerPort}/${m.protocol.toLowerCase()}`;
      (ports[key] ??= []).push({ HostIp: m.listenAddress, HostPort: String(m.hostPort) });
      exposed[key] = {};
    }
    const security =
      mode === "privileged"
        ? { Privileged: true, SecurityOpt: ["seccomp=unconfined", "apparmor=unconfined", "label=disable"] }
        : {
            CapAdd: ["ALL"],
            CapDrop: ["SYS_RESOURCE"],
            SecurityOpt: ["seccomp=unconfined", "apparmor=unconfined", "label=disable"],
            MaskedPaths: [],
            ReadonlyPaths: [],
            Binds: ["/sys/fs/cgroup:/sys/fs/cgroup:rw"],
          };
    let container: Docker.Container;
    try {
      const options: Docker.ContainerCreateOptions = {
        name: node.name,
        Hostname: node.name,
        Image: image,
        Labels: { [LABEL_CLUSTER]: cluster, [LABEL_ROLE]: node.role, [LABEL_NODE]: node.name, [LABEL_MODE]: mode },
        ExposedPorts: exposed,
        StopSignal: "SIGTERM",
        // CgroupnsMode is missing from @types/dockerode's HostConfig, hence the cast.
        HostConfig: {
          ...security,
          CgroupnsMode: "host",
          Init: true,
          RestartPolicy: { Name: "unless-stopped" },
          // Docker mounts a tmpfs noexec by default; the executable unpacks its native addon to /tmp.
          Tmpfs: { "/tmp": "rw,exec,nosuid,nodev", "/run": "rw,exec,nosuid,nodev" },
          Mounts: [
            {
              Type: "volume",
              Source: volumeName(node.name),
              Target: "/var",
              VolumeOptions: { Labels: { [LABEL_CLUSTER]: cluster, [LABEL_NODE]: node.name } },
            },
          ],
          PortBindings: ports,
          NetworkMode: networkName(cluster),
        } as unknown as Docker.HostConfig,
        NetworkingConfig: { EndpointsConfig: { [networkName(cluster)]: { Aliases: [node.name] } } },
      };
      container = await this.docker.createContainer(options);
    } catch (err) {
      if (statusOf(err) === 409) throw new NameInUseError(`a container named ${node.name} already exists: choose another cluster name (--name) or delete the old one`);
      throw new Error(`creating node container ${node.name}`, { cause: err });
    }
    if (node.files.length > 0) await container.putArchive(await tarOf(node.files), { path: "/" });
  }

  /** Removes one node's container and its volume (a create that must retry that node). */
  async removeNode(name: string): Promise<void> {
    await this.docker
      .getContainer(name)
      .remove({ force: true, v: true })
      .catch((err: unknown) => {
        if (statusOf(err) !== 404) throw err;
      });
    await this.docker
      .getVolume(volumeName(name))
      .remove()
      .catch((err: unknown) => {
        if (statusOf(err) !== 404) throw err;
      });
  }

  async startNode(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).start();
    } catch (err) {
      if (statusOf(err) === 304) return; // already running
      // The engine's message is the whole story; dockerode's wrapper would only repeat it.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`starting node ${name}: ${engineMessage(err)}`);
    }
  }

  /**
   * Why a node container is not healthy, with the end of its output, or undefined while it runs
   * and has not restarted (a crash loop shows as a restart count).
   */
  async nodeProblem(name: string): Promise<string | undefined> {
    const c = this.docker.getContainer(name);
    const info = await c.inspect();
    if (info.State.Running && info.RestartCount === 0) return undefined;
    const logs = demuxDockerLogs(await c.logs({ stdout: true, stderr: true, tail: 5, follow: false }), info.Config.Tty).toString("utf8");
    const last = logs.trim().split("\n").at(-1) ?? "";
    const state = info.State.Running ? `restarted ${info.RestartCount} times` : `exited with code ${info.State.ExitCode}`;
    return `node ${name} ${state}${last ? `; its last line: ${last}` : ""}`;
  }

  async listClusters(): Promise<string[]> {
    const [containers, networks] = await Promise.all([
      this.docker.listContainers({ all: true, filters: { label: [LABEL_CLUSTER] } }),
      this.docker.listNetworks({ filters: { label: [LABEL_CLUSTER] } }),
    ]);
    const names = new Set<string>();
    for (const c of containers) {
      const n = c.Labels[LABEL_CLUSTER];
      if (n) names.add(n);
    }
    for (const n of networks) {
      const name = n.Labels?.[LABEL_CLUSTER];
      if (name) names.add(name);
    }
    return [...names].sort();
  }

  async listNodes(cluster: string): Promise<NodeStatus[]> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL_CLUSTER}=${cluster}`] } });
    const nodes = containers
      .filter((c) => c.Labels[LABEL_NODE])
      .map((c) => {
        const net = c.NetworkSettings?.Networks?.[networkName(cluster)];
        return {
          name: c.Labels[LABEL_NODE] ?? c.Names[0]?.replace(/^\//, "") ?? c.Id,
          role: (c.Labels[LABEL_ROLE] as NodeRole | undefined) ?? "worker",
          cluster,
          state: c.State,
          ip: net?.IPAddress || undefined,
          image: c.Image,
        };
      });
    return nodes.sort((a, b) => roleOrder(a.role) - roleOrder(b.role) || a.name.localeCompare(b.name, "en", { numeric: true }));
  }

  /** Removes every container, volume and network labelled with the cluster's name. Idempotent. */
  async deleteCluster(cluster: string): Promise<DeleteResult> {
    const filter = { label: [`${LABEL_CLUSTER}=${cluster}`] };
    const containers = await this.docker.listContainers({ all: true, filters: filter });
    await Promise.all(
      containers.map((c) =>
        this.docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch((err: unknown) => {
            if (statusOf(err) !== 404) throw new Error(`removing container ${c.Names[0] ?? c.Id}`, { cause: err });
          }),
      ),
    );
    const [volumes, networks] = await Promise.all([
      this.docker.listVolumes({ filters: filter }),
      this.docker.listNetworks({ filters: filter }),
    ]);
    await Promise.all([
      ...(volumes.Volumes ?? []).map((v) =>
        this.docker
          .getVolume(v.Name)
          .remove()
          .catch((err: unknown) => {
            if (statusOf(err) !== 404) throw new Error(`removing volume ${v.Name}`, { cause: err });
          }),
      ),
      ...networks.map((n) =>
        this.docker
          .getNetwork(n.Id)
          .remove()
          .catch((err: unknown) => {
            if (statusOf(err) !== 404) throw new Error(`removing network ${n.Name}`, { cause: err });
          }),
      ),
    ]);
    return { containers: containers.length, volumes: (volumes.Volumes ?? []).length, networks: networks.length };
  }

  /** Where the host reaches the cluster's API server (the published port of the control-plane node). */
  async apiServerEndpoint(cluster: string): Promise<Endpoint> {
    const cp = await this.controlPlane(cluster);
    const info = await this.docker.getContainer(cp).inspect();
    const bindings = info.HostConfig.PortBindings as Record<string, Array<{ HostIp?: string; HostPort?: string }> | undefined>;
    const b = bindings[`${API_SERVER_CONTAINER_PORT}/tcp`]?.[0];
    const port = Number(b?.HostPort);
    if (!b || !Number.isInteger(port) || port <= 0) throw new Error(`node ${cp} does not publish the API server port`);
    return { host: b.HostIp && b.HostIp !== "0.0.0.0" ? b.HostIp : "127.0.0.1", port };
  }

  async controlPlane(cluster: string): Promise<string> {
    const nodes = await this.listNodes(cluster);
    if (nodes.length === 0) throw new Error(`no cluster named "${cluster}" (see \`minicluster get clusters\`)`);
    const cp = nodes.find((n) => n.role === "control-plane");
    if (!cp) throw new Error(`cluster "${cluster}" has no control-plane node`);
    return cp.name;
  }

  /** Reads one file from a node container (running or not). */
  async readFile(node: string, file: string): Promise<Buffer> {
    const stream = await this.docker.getContainer(node).getArchive({ path: file });
    const { extract } = await import("tar-stream");
    const ex = extract();
    const chunks: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      ex.on("entry", (_header, entry, next) => {
        entry.on("data", (d: unknown) => chunks.push(d as Buffer));
        entry.on("end", next);
        entry.resume();
      });
      ex.on("finish", resolve);
      ex.on("error", reject);
    });
    stream.pipe(ex);
    await done;
    return Buffer.concat(chunks);
  }

  /**
   * Writes every node's logs into `dir`: the container's own output, the component logs under
   * /var/log/minicluster, and `docker inspect`. Returns the files written.
   */
  async collectLogs(cluster: string, dir: string): Promise<string[]> {
    const nodes = await this.listNodes(cluster);
    const written: string[] = [];
    await Promise.all(
      nodes.map(async (n) => {
        const nodeDir = path.join(dir, n.name);
        await fs.mkdir(nodeDir, { recursive: true });
        const c = this.docker.getContainer(n.name);
        const inspect = await c.inspect();
        await fs.writeFile(path.join(nodeDir, "inspect.json"), JSON.stringify(inspect, null, 2));
        written.push(path.join(nodeDir, "inspect.json"));
        const logs = await c.logs({ stdout: true, stderr: true, timestamps: true, follow: false });
        await fs.writeFile(path.join(nodeDir, "container.log"), demuxDockerLogs(logs, inspect.Config.Tty));
        written.push(path.join(nodeDir, "container.log"));
        try {
          const archive = await c.getArchive({ path: "/var/log/minicluster" });
          await new Promise<void>((resolve, reject) => {
            const out = extractTar(nodeDir);
            out.on("finish", resolve);
            out.on("error", reject);
            archive.pipe(out);
          });
          for (const f of await fs.readdir(path.join(nodeDir, "minicluster"))) written.push(path.join(nodeDir, "minicluster", f));
        } catch (err) {
          if (statusOf(err) !== 404) throw new Error(`copying /var/log/minicluster from ${n.name}`, { cause: err });
        }
      }),
    );
    return written.sort();
  }
}

function roleOrder(role: NodeRole): number {
  return role === "control-plane" ? 0 : 1;
}

/** Docker multiplexes stdout/stderr of a non-TTY container into 8-byte-header frames. */
export function demuxDockerLogs(buf: Buffer, tty: boolean): Buffer {
  if (tty) return buf;
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(out);
}

async function tarOf(files: NodeFile[]): Promise<Buffer> {
  const p = pack();
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.replace(/^\//, "").split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (!dirs.has(d)) {
        dirs.add(d);
        p.entry({ name: `${d}/`, type: "directory", mode: 0o755 });
      }
    }
    p.entry({ name: f.path.replace(/^\//, ""), mode: f.mode ?? 0o644 }, typeof f.content === "string" ? Buffer.from(f.content) : f.content);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
