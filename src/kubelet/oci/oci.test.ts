import { describe, expect, it } from "vitest";
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import { containerArgs } from "./args.js";
import { CAPABILITY_NAMES, capabilitiesFromMask, containerCapabilities, DEFAULT_CAPABILITIES } from "./capabilities.js";
import { splitDev } from "./devices.js";
import type { ImageRecord } from "./image-record.js";
import { parseMountPoints } from "./mounts.js";
import { containerResources, milliCPUToQuota, milliCPUToShares, oomScoreAdj, podQOSClass } from "./resources.js";
import { overlayOptions } from "./rootfs.js";
import { buildMounts, buildOciSpec, MASKED_PATHS, READONLY_PATHS, withHostnameEnv, type OciSpecInput } from "./spec.js";
import { parseGroup, parsePasswd, resolveUser } from "./user.js";

const image = (config: ImageRecord["config"] = {}): ImageRecord => ({ id: "sha256:1", repoTags: [], config, layers: [], size: 0 });

describe("containerArgs", () => {
  const img = image({ entrypoint: ["/entry", "-x"], cmd: ["serve", "--port=80"] });
  it.each<[string, Partial<Container>, ImageRecord, string[]]>([
    ["image entrypoint + cmd", {}, img, ["/entry", "-x", "serve", "--port=80"]],
    ["command drops entrypoint and cmd", { command: ["/bin/sh"] }, img, ["/bin/sh"]],
    ["command + args", { command: ["/bin/sh"], args: ["-c", "true"] }, img, ["/bin/sh", "-c", "true"]],
    ["args replace cmd", { args: ["other"] }, img, ["/entry", "-x", "other"]],
    ["empty lists count as unset", { command: [], args: [] }, img, ["/entry", "-x", "serve", "--port=80"]],
    ["cmd only image", {}, image({ cmd: ["sh"] }), ["sh"]],
    ["expansion", { command: ["echo", "$(A)", "$$(A)", "$(NOPE)"] }, img, ["echo", "1", "$(A)", "$(NOPE)"]],
  ])("%s", (_, c, im, want) => {
    expect(containerArgs({ name: "c", ...c }, im, [["A", "1"]])).toEqual(want);
  });
  it("takes K=V env too, and does not expand the image's own values", () => {
    expect(containerArgs({ name: "c", args: ["$(A)"] }, image({ cmd: ["$(A)"] }), ["A=x"])).toEqual(["x"]);
    expect(containerArgs({ name: "c" }, image({ cmd: ["$(A)"] }), ["A=x"])).toEqual(["$(A)"]);
  });
});

describe("capabilities", () => {
  const all = [...CAPABILITY_NAMES];
  it.each<[string, Container["securityContext"], (caps: string[]) => void]>([
    ["default", undefined, (c) => expect(c).toEqual([...DEFAULT_CAPABILITIES])],
    ["add", { capabilities: { add: ["NET_ADMIN", "cap_sys_time"] } }, (c) => expect(c.slice(-2)).toEqual(["CAP_NET_ADMIN", "CAP_SYS_TIME"])],
    ["drop", { capabilities: { drop: ["CHOWN", "KILL"] } }, (c) => expect(c).toEqual(DEFAULT_CAPABILITIES.filter((x) => x !== "CAP_CHOWN" && x !== "CAP_KILL"))],
    ["drop ALL", { capabilities: { drop: ["ALL"] } }, (c) => expect(c).toEqual([])],
    ["drop ALL add one", { capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } }, (c) => expect(c).toEqual(["CAP_NET_BIND_SERVICE"])],
    ["add ALL drop one", { capabilities: { add: ["ALL"], drop: ["SYS_ADMIN"] } }, (c) => expect(c).toEqual(all.filter((x) => x !== "CAP_SYS_ADMIN"))],
  ])("%s", (_, sc, check) => {
    check(containerCapabilities(sc?.capabilities, all));
  });
  it("decodes a CapBnd mask", () => {
    expect(capabilitiesFromMask("0000000000000003")).toEqual(["CAP_CHOWN", "CAP_DAC_OVERRIDE"]);
    expect(capabilitiesFromMask("000001ffffffffff")).toEqual(all);
    expect(capabilitiesFromMask("000001fffeffffff")).not.toContain("CAP_SYS_RESOURCE");
  });
});

describe("resources", () => {
  it.each([
    [0, 2],
    [1, 2],
    [2, 2],
    [100, 102],
    [250, 256],
    [1000, 1024],
    [1500, 1536],
  ])("shares(%i m) = %i", (m, want) => expect(milliCPUToShares(m)).toBe(want));
  it.each([
    [0, 0],
    [1, 1000],
    [10, 1000],
    [100, 10000],
    [1500, 150000],
  ])("quota(%i m) = %i", (m, want) => expect(milliCPUToQuota(m)).toBe(want));
  it("containerResources", () => {
    expect(containerResources({ name: "c" })).toEqual({ devices: [{ allow: false, access: "rwm" }], cpu: { shares: 2 } });
    expect(containerResources({ name: "c", resources: { requests: { cpu: "100m" }, limits: { cpu: "500m", memory: "64Mi" } } })).toEqual({
      devices: [{ allow: false, access: "rwm" }],
      cpu: { shares: 102, quota: 50000, period: 100000 },
      memory: { limit: 64 * 1024 * 1024 },
    });
    // requests default to limits
    expect(containerResources({ name: "c", resources: { limits: { cpu: "1" } } }).cpu).toEqual({ shares: 1024, quota: 100000, period: 100000 });
    expect(containerResources({ name: "c" }, { privileged: true, pidsLimit: 100 })).toMatchObject({ devices: [{ allow: true }], pids: { limit: 100 } });
  });
  const podOf = (...cs: Container[]): Pod => ({ spec: { containers: cs } });
  it.each<[string, Pod, string, number]>([
    ["BestEffort", podOf({ name: "a" }), "BestEffort", 1000],
    ["Guaranteed", podOf({ name: "a", resources: { limits: { cpu: "1", memory: "1Gi" } } }), "Guaranteed", -997],
    ["Burstable small", podOf({ name: "a", resources: { requests: { memory: "1Gi" } } }), "Burstable", 1000 - 125],
    ["Burstable huge", podOf({ name: "a", resources: { requests: { memory: "8Gi" }, limits: { memory: "9Gi" } } }), "Burstable", 3],
    ["Burstable tiny", podOf({ name: "a", resources: { requests: { cpu: "10m" } } }), "Burstable", 999],
  ])("QoS %s", (_, pod, qos, adj) => {
    expect(podQOSClass(pod)).toBe(qos);
    expect(oomScoreAdj(pod, pod.spec!.containers[0], 8 * 1024 ** 3)).toBe(adj);
  });
});

describe("user", () => {
  const passwd = parsePasswd("root:x:0:0:root:/root:/bin/sh\n# c\nnobody:x:65534:65534::/:/sbin/nologin\napp:x:1000:1001::/home/app:/bin/sh\n");
  const groups = parseGroup("root:x:0:\nwheel:x:10:app,root\napp:x:1001:\nstaff:x:50:app\n");
  it.each<[string, Parameters<typeof resolveUser>[0], object]>([
    ["root by default", {}, { uid: 0, gid: 0, additionalGids: [10] }],
    ["numeric image user", { imageUser: "1000" }, { uid: 1000, gid: 1001, additionalGids: [10, 50] }],
    ["numeric uid:gid", { imageUser: "5:6" }, { uid: 5, gid: 6 }],
    ["named user", { imageUser: "nobody" }, { uid: 65534, gid: 65534 }],
    ["named user:group", { imageUser: "app:staff" }, { uid: 1000, gid: 50, additionalGids: [10] }],
    ["runAsUser wins", { imageUser: "app", runAsUser: 2000 }, { uid: 2000, gid: 0 }],
    ["runAsUser + runAsGroup + groups", { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 5000 }, { uid: 1000, gid: 3000, additionalGids: [10, 50, 4000, 5000] }],
  ])("%s", (_, inp, want) => {
    expect(resolveUser(inp, passwd, groups)).toMatchObject(want);
  });
  it("names need the passwd file", () => {
    expect(() => resolveUser({ imageUser: "ghost" }, passwd, groups)).toThrow("unable to find user ghost");
    expect(() => resolveUser({ imageUser: "app" })).toThrow(/unable to find user app/);
    expect(() => resolveUser({ imageUser: "1:nogroup" }, passwd, groups)).toThrow(/unable to find group nogroup/);
  });
});

describe("mounts", () => {
  it("volume mounts replace defaults at or below them and sort parents first", () => {
    const m = buildMounts(
      [
        { source: "/v/b", destination: "/data/b/", readOnly: true },
        { source: "/v/a", destination: "/data", readOnly: false },
        { source: "/v/shm", destination: "/dev/shm", readOnly: false },
        { source: "", destination: "/scratch", readOnly: false, type: "tmpfs", options: ["size=1m"] },
      ],
      false,
      false,
    );
    expect(m.map((x) => x.destination)).toEqual(["/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/sys/fs/cgroup", "/data", "/scratch", "/data/b", "/dev/shm"]);
    expect(m.find((x) => x.destination === "/data/b")).toEqual({ destination: "/data/b", type: "bind", source: "/v/b", options: ["rbind", "rprivate", "ro"] });
    expect(m.find((x) => x.destination === "/scratch")).toEqual({ destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777", "size=1m", "rw"] });
    expect(m.find((x) => x.destination === "/sys")!.options).toContain("ro");
  });
  it("privileged: sysfs and cgroup rw; host network: /sys bound", () => {
    expect(buildMounts([], true, false).find((x) => x.destination === "/sys")!.options).not.toContain("ro");
    expect(buildMounts([], false, true).find((x) => x.destination === "/sys")).toMatchObject({ type: "bind", source: "/sys" });
  });
  it("parses mountinfo with escapes", () => {
    const info = "22 1 0:21 / /proc rw - proc proc rw\n30 22 0:5 / /a\\040b rw - tmpfs tmpfs rw\n";
    expect(parseMountPoints(info)).toEqual(["/proc", "/a b"]);
  });
  it("overlay lowerdir is the top layer first", () => {
    expect(overlayOptions(["/l/1", "/l/2", "/l/3"], "/c/upper", "/c/work")).toBe("lowerdir=/l/3:/l/2:/l/1,upperdir=/c/upper,workdir=/c/work");
  });
  it("splits dev_t", () => {
    expect(splitDev(0x0103n)).toEqual({ major: 1, minor: 3 }); // /dev/null
    expect(splitDev((259n << 8n) | 5n)).toEqual({ major: 259, minor: 5 });
    expect(splitDev(0x11112c70n)).toEqual({ major: 300, minor: 70000 }); // makedev(300, 70000)
  });
});

describe("buildOciSpec", () => {
  const basePod: Pod = {
    metadata: { name: "web", namespace: "default", uid: "u1" },
    spec: { containers: [{ name: "c", image: "busybox" }] },
  };
  const input = (over: Partial<OciSpecInput> = {}, container: Partial<Container> = {}, pod: Pod = basePod): OciSpecInput => ({
    pod,
    container: { name: "c", ...container },
    image: image({ workingDir: "/srv", user: "1000:1000" }),
    rootfs: "/var/lib/minicluster/pods/u1/containers/c/rootfs",
    env: ["PATH=/bin", "A=1"],
    mounts: [{ source: "/etc-hosts", destination: "/etc/hosts", readOnly: false }],
    netnsPath: "/run/netns/p1",
    hostname: "web",
    cgroupsPath: "/minicluster/pod-u1/c",
    args: ["/bin/sh"],
    tty: false,
    stdin: false,
    allCapabilities: [...CAPABILITY_NAMES],
    ...over,
  });

  it("a default container", () => {
    const s = buildOciSpec(input()) as Record<string, any>;
    expect(s.ociVersion).toBe("1.0.2");
    expect(s.process).toEqual({
      terminal: false,
      user: { uid: 1000, gid: 1000 },
      args: ["/bin/sh"],
      env: ["PATH=/bin", "HOSTNAME=web", "A=1"],
      cwd: "/srv",
      capabilities: { bounding: [...DEFAULT_CAPABILITIES], effective: [...DEFAULT_CAPABILITIES], permitted: [...DEFAULT_CAPABILITIES] },
      noNewPrivileges: false,
    });
    expect(s.root).toEqual({ path: "/var/lib/minicluster/pods/u1/containers/c/rootfs", readonly: false });
    expect(s.hostname).toBe("web");
    expect(s.linux.namespaces).toEqual([{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "network", path: "/run/netns/p1" }]);
    expect(s.linux.cgroupsPath).toBe("/minicluster/pod-u1/c");
    expect(s.linux.maskedPaths).toEqual(MASKED_PATHS);
    expect(s.linux.readonlyPaths).toEqual(READONLY_PATHS);
    expect(s.linux.seccomp).toBeUndefined();
    expect(s.linux.devices).toBeUndefined();
    expect(s.mounts.at(-1)).toEqual({ destination: "/etc/hosts", type: "bind", source: "/etc-hosts", options: ["rbind", "rprivate", "rw"] });
  });

  it("securityContext: user, readOnlyRootFilesystem, no privilege escalation, workingDir, tty", () => {
    const s = buildOciSpec(
      input({ tty: true }, { workingDir: "/w", securityContext: { runAsUser: 7, runAsGroup: 8, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false } }),
    ) as Record<string, any>;
    expect(s.process.user).toEqual({ uid: 7, gid: 8 });
    expect(s.process.cwd).toBe("/w");
    expect(s.process.terminal).toBe(true);
    expect(s.process.noNewPrivileges).toBe(true);
    expect(s.root.readonly).toBe(true);
  });

  it("keeps an explicit HOSTNAME and takes a resolved user", () => {
    const s = buildOciSpec(input({ env: ["HOSTNAME=x"], user: { uid: 3, gid: 4, additionalGids: [5] } })) as Record<string, any>;
    expect(s.process.env).toEqual(["HOSTNAME=x"]);
    expect(s.process.user).toEqual({ uid: 3, gid: 4, additionalGids: [5] });
    expect(withHostnameEnv(["A=1"], "h")).toEqual(["HOSTNAME=h", "A=1"]);
  });

  it("privileged: all capabilities, no masked paths, host devices", () => {
    const dev = { path: "/dev/fuse", type: "c" as const, major: 10, minor: 229 };
    const s = buildOciSpec(input({ hostDevices: [dev], allCapabilities: ["CAP_CHOWN", "CAP_SYS_ADMIN"] }, { securityContext: { privileged: true, allowPrivilegeEscalation: false } })) as Record<string, any>;
    expect(s.process.capabilities.bounding).toEqual(["CAP_CHOWN", "CAP_SYS_ADMIN"]);
    expect(s.process.noNewPrivileges).toBe(false);
    expect(s.linux.maskedPaths).toEqual([]);
    expect(s.linux.readonlyPaths).toEqual([]);
    expect(s.linux.devices).toEqual([dev]);
    expect(s.linux.resources.devices).toEqual([{ allow: true, access: "rwm" }]);
  });

  it("host namespaces, sysctls, resources, oomScoreAdj", () => {
    const pod: Pod = {
      ...basePod,
      spec: { ...basePod.spec!, hostNetwork: true, hostPID: true, securityContext: { sysctls: [{ name: "net.core.somaxconn", value: "1024" }] } },
    };
    const s = buildOciSpec(input({ oomScoreAdj: 1000 }, { resources: { limits: { cpu: "250m", memory: "10Mi" } } }, pod)) as Record<string, any>;
    expect(s.linux.namespaces).toEqual([{ type: "ipc" }, { type: "mount" }]);
    expect(s.hostname).toBeUndefined();
    expect(s.linux.sysctl).toEqual({ "net.core.somaxconn": "1024" });
    expect(s.linux.resources).toEqual({ devices: [{ allow: false, access: "rwm" }], cpu: { shares: 256, quota: 25000, period: 100000 }, memory: { limit: 10485760 } });
    expect(s.process.oomScoreAdj).toBe(1000);
  });

  it("refuses an empty argv", () => {
    expect(() => buildOciSpec(input({ args: [] }))).toThrow(/no command specified/);
  });
});
