// Filesystem tests in a temp dir. tmpfs (emptyDir medium Memory) and overlay cases need root and
// are skipped otherwise.
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Pod } from "kubernetes-types/core/v1.js";
import { fakeClient } from "../env/test-client.js";
import { isMountPoint, mountsUnder, unmount } from "../oci/mounts.js";
import { mountRootfs, unmountRootfs } from "../oci/rootfs.js";
import { writeAtomic } from "./atomic-writer.js";
import { VolumeManager, VolumeSetupError } from "./manager.js";

const isRoot = process.getuid?.() === 0;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mctest-ka-"));
});
afterEach(async () => {
  // A failed test may leave mounts: never delete through them.
  for (const m of await mountsUnder(dir)) await unmount(m);
  await rm(dir, { recursive: true, force: true });
});

describe("writeAtomic", () => {
  it("writes through ..data, swaps atomically, removes stale names and old dirs", async () => {
    const t = join(dir, "vol");
    expect(await writeAtomic(t, new Map([["a", { data: "1", mode: 0o644 }], ["d/b", { data: "2", mode: 0o600 }]]))).toBe(true);
    expect(await readFile(join(t, "a"), "utf8")).toBe("1");
    expect(await readFile(join(t, "d/b"), "utf8")).toBe("2");
    expect(await readlink(join(t, "a"))).toBe("..data/a");
    expect((await stat(join(t, "d/b"))).mode & 0o777).toBe(0o600);
    const first = await readlink(join(t, "..data"));
    expect(first).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);

    expect(await writeAtomic(t, new Map([["a", { data: "1", mode: 0o644 }], ["d/b", { data: "2", mode: 0o600 }]]))).toBe(false);
    expect(await readlink(join(t, "..data"))).toBe(first);

    expect(await writeAtomic(t, new Map([["a", { data: "changed", mode: 0o644 }], ["c", { data: "3", mode: 0o644 }]]))).toBe(true);
    expect(await readFile(join(t, "a"), "utf8")).toBe("changed");
    expect(existsSync(join(t, "d"))).toBe(false);
    expect(existsSync(join(t, first))).toBe(false);
    expect((await readdir(t)).sort()).toEqual(["..data", await readlink(join(t, "..data")), "a", "c"].sort());
  });
  it.each(["/abs", "../x", "a/../b", "..x"])("rejects path %s", async (p) => {
    await expect(writeAtomic(join(dir, "v"), new Map([[p, { data: "", mode: 0o644 }]]))).rejects.toThrow(/invalid path/);
  });
});

const objects = {
  "configmaps/ns/cfg": { data: { "app.conf": "v1", other: "o" } },
  "secrets/ns/sec": { data: { pw: Buffer.from("pw").toString("base64") } },
};

function makePod(volumes: NonNullable<Pod["spec"]>["volumes"], extra: Partial<NonNullable<Pod["spec"]>> = {}): Pod {
  return { metadata: { name: "web", namespace: "ns", uid: "uid-1", labels: { app: "web" } }, spec: { containers: [{ name: "c" }], volumes, ...extra } };
}

describe("VolumeManager", () => {
  const manager = (objs: Record<string, unknown> = objects) =>
    new VolumeManager({ podsDir: join(dir, "pods"), client: fakeClient(objs), nodeName: "n1", nodeAllocatable: { cpu: "2", memory: "1Gi" }, hostResolvConf: join(dir, "resolv"), hostHosts: join(dir, "hosts") });

  it("prepares emptyDir, configMap, secret, downwardAPI and hostPath volumes and refreshes them", async () => {
    const objs = structuredClone(objects) as Record<string, { data: Record<string, string> }>;
    const vm = manager(objs);
    const pod = makePod([
      { name: "scratch", emptyDir: {} },
      { name: "cfg", configMap: { name: "cfg" } },
      { name: "sec", secret: { secretName: "sec", defaultMode: 0o400 } },
      { name: "info", downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] } },
      { name: "host", hostPath: { path: join(dir, "hostdir"), type: "DirectoryOrCreate" } },
    ]);
    const vols = await vm.prepare(pod);
    const podDir = join(dir, "pods", "uid-1");
    expect(vols.get("scratch")).toEqual({ path: join(podDir, "volumes/kubernetes.io~empty-dir/scratch"), readOnly: false });
    expect((await stat(vols.get("scratch")!.path)).mode & 0o777).toBe(0o777);
    expect(vols.get("cfg")).toEqual({ path: join(podDir, "volumes/kubernetes.io~configmap/cfg"), readOnly: true });
    expect(await readFile(join(vols.get("cfg")!.path, "app.conf"), "utf8")).toBe("v1");
    expect(await readFile(join(vols.get("sec")!.path, "pw"), "utf8")).toBe("pw");
    expect((await stat(join(vols.get("sec")!.path, "pw"))).mode & 0o777).toBe(0o400);
    expect(await readFile(join(vols.get("info")!.path, "labels"), "utf8")).toBe('app="web"');
    expect(vols.get("host")).toEqual({ path: join(dir, "hostdir"), readOnly: false });
    expect((await stat(join(dir, "hostdir"))).isDirectory()).toBe(true);

    // The lifecycle calls refresh(): changed sources and labels are rewritten atomically.
    objs["configmaps/ns/cfg"].data["app.conf"] = "v2";
    const updated = { ...pod, metadata: { ...pod.metadata, labels: { app: "web", v: "2" } } };
    const results = await vm.refresh(updated);
    expect(results).toEqual([
      { volume: "cfg", changed: true },
      { volume: "sec", changed: false },
      { volume: "info", changed: true },
    ]);
    expect(await readFile(join(vols.get("cfg")!.path, "app.conf"), "utf8")).toBe("v2");
    expect(await readFile(join(vols.get("info")!.path, "labels"), "utf8")).toBe('app="web"\nv="2"');
    // A deleted ConfigMap keeps the old content and reports the error.
    delete objs["configmaps/ns/cfg"];
    expect((await vm.refresh(updated))[0]).toEqual({ volume: "cfg", changed: false, error: 'configmap "cfg" not found' });
    expect(await readFile(join(vols.get("cfg")!.path, "app.conf"), "utf8")).toBe("v2");

    await vm.cleanup("uid-1");
    expect(existsSync(podDir)).toBe(false);
    expect(existsSync(join(dir, "hostdir"))).toBe(true);
  });

  it.each<[string, NonNullable<Pod["spec"]>["volumes"], string]>([
    ["missing configMap", [{ name: "v", configMap: { name: "nope" } }], 'MountVolume.SetUp failed for volume "v" : configmap "nope" not found'],
    ["hostPath Directory", [{ name: "h", hostPath: { path: "/nonexistent-mctest", type: "Directory" } }], 'MountVolume.SetUp failed for volume "h" : hostPath type check failed: /nonexistent-mctest is not a directory'],
    ["hostPath File on a dir", [{ name: "h", hostPath: { path: "/", type: "File" } }], "hostPath type check failed: / is not a file"],
    ["hostPath Socket", [{ name: "h", hostPath: { path: "/", type: "Socket" } }], "hostPath type check failed: / is not a socket file"],
    ["unsupported type", [{ name: "p", persistentVolumeClaim: { claimName: "x" } }], "volume type persistentVolumeClaim is not supported"],
  ])("%s fails with the kubelet's message", async (_, volumes, msg) => {
    const err = await manager().prepare(makePod(volumes)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VolumeSetupError);
    expect((err as Error).message).toContain(msg);
  });

  it("hostPath FileOrCreate creates an empty file", async () => {
    const f = join(dir, "f.txt");
    await manager().prepare(makePod([{ name: "h", hostPath: { path: f, type: "FileOrCreate" } }]));
    expect(await readFile(f, "utf8")).toBe("");
  });

  it("pod files and container mounts (subPath, subPathExpr, readOnly, termination log)", async () => {
    await writeFile(join(dir, "resolv"), "nameserver 9.9.9.9\n");
    const vm = manager();
    const pod = makePod([
      { name: "data", emptyDir: {} },
      { name: "cfg", configMap: { name: "cfg" } },
    ]);
    const vols = await vm.prepare(pod);
    const files = await vm.podFiles(pod, "10.244.1.7");
    expect(await readFile(files.hosts, "utf8")).toContain("10.244.1.7\tweb\n");
    expect(await readFile(files.resolvConf, "utf8")).toBe("nameserver 9.9.9.9\n");
    expect(await readFile(files.hostname, "utf8")).toBe("web\n");
    const container = {
      name: "c",
      volumeMounts: [
        { name: "data", mountPath: "/data" },
        { name: "data", mountPath: "/logs", subPathExpr: "logs/$(POD)" },
        { name: "cfg", mountPath: "/etc/app.conf", subPath: "app.conf" },
        { name: "data", mountPath: "/ro", readOnly: true },
      ],
    };
    const mounts = vm.containerMounts(pod, container, vols, files, [["POD", "web"]]);
    const data = vols.get("data")!.path;
    expect(mounts).toEqual([
      { source: data, destination: "/data", readOnly: false },
      { source: join(data, "logs/web"), destination: "/logs", readOnly: false },
      { source: join(vols.get("cfg")!.path, "app.conf"), destination: "/etc/app.conf", readOnly: true },
      { source: data, destination: "/ro", readOnly: true },
      { source: vm.terminationLogPath("uid-1", "c"), destination: "/dev/termination-log", readOnly: false },
      { source: files.hosts, destination: "/etc/hosts", readOnly: false },
      { source: files.hostname, destination: "/etc/hostname", readOnly: false },
      { source: files.resolvConf, destination: "/etc/resolv.conf", readOnly: false },
    ]);
    expect((await stat(join(data, "logs/web"))).isDirectory()).toBe(true);
    expect((await stat(vm.terminationLogPath("uid-1", "c"))).mode & 0o777).toBe(0o666);
  });

  it("subPath cannot leave the volume", async () => {
    const vm = manager();
    const pod = makePod([{ name: "data", emptyDir: {} }]);
    const vols = await vm.prepare(pod);
    const files = { hosts: "/h", resolvConf: "/r", hostname: "/n" };
    await symlink("/etc", join(vols.get("data")!.path, "escape"));
    const mountsOf = (subPath: string) => () => vm.containerMounts(pod, { name: "c", volumeMounts: [{ name: "data", mountPath: "/x", subPath }] }, vols, files);
    expect(mountsOf("../x")).toThrow(/must not contain '\.\.'/);
    expect(mountsOf("/etc")).toThrow(/relative path/);
    expect(mountsOf("escape/newdir")).toThrow(/not within volume path/);
    expect(existsSync("/etc/newdir")).toBe(false);
    expect(() => vm.containerMounts(pod, { name: "c", volumeMounts: [{ name: "nope", mountPath: "/x" }] }, vols, files)).toThrow(
      'cannot find volume "nope" to mount into container "c"',
    );
  });

  it.skipIf(!isRoot)("memoryBackedSecrets: secret, projected and downwardAPI volumes on a tmpfs each, configMaps on disk; refresh keeps the mount", async () => {
    const vm = new VolumeManager({ podsDir: join(dir, "pods"), client: fakeClient(objects), nodeName: "n1", nodeAllocatable: { cpu: "2", memory: "1Gi" }, hostResolvConf: join(dir, "resolv"), hostHosts: join(dir, "hosts"), memoryBackedSecrets: true });
    const pod = makePod([
      { name: "cfg", configMap: { name: "cfg" } },
      { name: "sec", secret: { secretName: "sec" } },
      { name: "info", downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] } },
      { name: "proj", projected: { sources: [{ secret: { name: "sec" } }] } },
    ]);
    const vols = await vm.prepare(pod);
    expect(await isMountPoint(vols.get("cfg")!.path)).toBe(false);
    for (const v of ["sec", "info", "proj"]) expect(await isMountPoint(vols.get(v)!.path), v).toBe(true);
    expect(await readFile(join(vols.get("sec")!.path, "pw"), "utf8")).toBe("pw");
    await vm.refresh(pod);
    await vm.prepare(pod); // idempotent: one mount each
    const info = await readFile("/proc/self/mountinfo", "utf8");
    expect(info.split("\n").filter((l) => l.split(" ")[4] === vols.get("sec")!.path)).toHaveLength(1);
    await vm.cleanup("uid-1");
    for (const v of ["sec", "info", "proj"]) expect(await isMountPoint(vols.get(v)!.path)).toBe(false);
    expect(existsSync(join(dir, "pods", "uid-1"))).toBe(false);
  });

  it.skipIf(!isRoot)("emptyDir medium Memory is a tmpfs with the size limit, unmounted by cleanup", async () => {
    const vm = manager();
    const vols = await vm.prepare(makePod([{ name: "mem", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } }]));
    const p = vols.get("mem")!.path;
    expect(await isMountPoint(p)).toBe(true);
    const info = await readFile("/proc/self/mountinfo", "utf8");
    expect(info.split("\n").find((l) => l.split(" ")[4] === p)).toMatch(/tmpfs .*size=1024k/);
    await vm.prepare(makePod([{ name: "mem", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } }])); // idempotent: no second mount
    const again = await readFile("/proc/self/mountinfo", "utf8");
    expect(again.split("\n").filter((l) => l.split(" ")[4] === p)).toHaveLength(1);
    await vm.cleanup("uid-1");
    expect(await isMountPoint(p)).toBe(false);
    expect(existsSync(join(dir, "pods", "uid-1"))).toBe(false);
  });
});

describe.skipIf(!isRoot)("mountRootfs (overlay; needs root and a non-overlay temp dir)", () => {
  it("stacks layers top first, writes go to the upper dir, layers stay pristine", async () => {
    const l1 = join(dir, "layers/1");
    const l2 = join(dir, "layers/2");
    await mkdir(join(l1, "bin"), { recursive: true });
    await mkdir(l2, { recursive: true });
    await writeFile(join(l1, "bin/tool"), "v1");
    await writeFile(join(l1, "base"), "base");
    await writeFile(join(l2, "bin-tool-note"), "x");
    await mkdir(join(l2, "bin"));
    await writeFile(join(l2, "bin/tool"), "v2");
    const c = join(dir, "containers/c1");
    const rootfs = await mountRootfs([l1, l2], c);
    expect(rootfs).toBe(join(c, "rootfs"));
    expect(await mountRootfs([l1, l2], c)).toBe(rootfs); // idempotent
    expect(await readFile(join(rootfs, "bin/tool"), "utf8")).toBe("v2");
    expect(await readFile(join(rootfs, "base"), "utf8")).toBe("base");
    await writeFile(join(rootfs, "base"), "changed");
    await rm(join(rootfs, "bin/tool"));
    expect(await readFile(join(l1, "base"), "utf8")).toBe("base");
    expect(await readFile(join(l2, "bin/tool"), "utf8")).toBe("v2");
    expect(await readFile(join(c, "upper/base"), "utf8")).toBe("changed");
    await unmountRootfs(c);
    expect(await isMountPoint(rootfs)).toBe(false);
    expect(existsSync(join(c, "upper"))).toBe(false);
    await unmountRootfs(c); // idempotent
  });
  it("a single layer is still an overlay", async () => {
    const l1 = join(dir, "l");
    await mkdir(l1);
    await writeFile(join(l1, "f"), "1");
    const rootfs = await mountRootfs([l1], join(dir, "c"));
    await writeFile(join(rootfs, "g"), "2");
    expect(existsSync(join(l1, "g"))).toBe(false);
    expect((await lstat(join(dir, "c/upper/g"))).isFile()).toBe(true);
    await unmountRootfs(join(dir, "c"));
  });
});
