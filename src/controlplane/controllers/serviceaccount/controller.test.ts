// The default-ServiceAccount controller against an in-memory store and the real Registry.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RESOURCES } from "../../../api/registry/resources.js";
import { createKnowledge } from "../../apiserver/knowledge.js";
import { Registry, type Caller } from "../../apiserver/rest.js";
import { MemoryBackend } from "../../store/memory/memory-backend.js";
import { ServiceAccountController, namespaceToCheck } from "./controller.js";

const NS = RESOURCES.find((r) => r.kind === "Namespace" && r.group === "")!;
const SA = RESOURCES.find((r) => r.kind === "ServiceAccount" && r.group === "")!;
const ADMIN: Caller = { user: "admin", groups: ["system:masters"], userAgent: "test" };

let backend: MemoryBackend;
let registry: Registry;
let ctl: ServiceAccountController;

beforeEach(async () => {
  backend = new MemoryBackend();
  await backend.start();
  registry = new Registry(backend, createKnowledge());
  ctl = new ServiceAccountController(registry);
});

afterEach(async () => {
  ctl.stop();
  await backend.close();
});

const ns = (name: string) => registry.create(NS, "", { apiVersion: "v1", kind: "Namespace", metadata: { name } }, ADMIN);

describe("ServiceAccountController.reconcile", () => {
  it("creates the default ServiceAccount once", async () => {
    await ns("a");
    await ctl.reconcile("a");
    const first = await registry.get(SA, "a", "default");
    await ctl.reconcile("a");
    expect((await registry.get(SA, "a", "default")).metadata?.uid).toBe(first.metadata?.uid);
  });

  it("does nothing for a missing or terminating namespace", async () => {
    await ctl.reconcile("nowhere");
    await ns("going");
    await registry.delete(NS, "", "going", ADMIN, {});
    await ctl.reconcile("going");
    expect(await registry.tryGet(SA, "going", "default")).toBeUndefined();
  });
});

describe("namespaceToCheck", () => {
  const ev = (type: "ADDED" | "MODIFIED" | "DELETED", kind: string, metadata: Record<string, unknown>) => ({
    type,
    resource: RESOURCES.find((r) => r.kind === kind && r.group === "")!,
    object: { apiVersion: "v1", kind, metadata },
  });
  it("picks active namespaces and deleted default ServiceAccounts", () => {
    expect(namespaceToCheck(ev("ADDED", "Namespace", { name: "a" }))).toBe("a");
    expect(namespaceToCheck(ev("MODIFIED", "Namespace", { name: "a", deletionTimestamp: "2026-01-01T00:00:00Z" }))).toBeUndefined();
    expect(namespaceToCheck(ev("DELETED", "Namespace", { name: "a" }))).toBeUndefined();
    expect(namespaceToCheck(ev("DELETED", "ServiceAccount", { name: "default", namespace: "b" }))).toBe("b");
    expect(namespaceToCheck(ev("DELETED", "ServiceAccount", { name: "builder", namespace: "b" }))).toBeUndefined();
    expect(namespaceToCheck(ev("ADDED", "ServiceAccount", { name: "default", namespace: "b" }))).toBeUndefined();
  });
});

describe("kube-root-ca.crt publishing", () => {
  const CM = RESOURCES.find((r) => r.kind === "ConfigMap" && r.group === "")!;
  const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  it("creates the ConfigMap with the CA and restores it when changed", async () => {
    const withCA = new ServiceAccountController(registry, () => {}, PEM);
    try {
      await ns("ca");
      await withCA.reconcile("ca");
      const cm = await registry.get(CM, "ca", "kube-root-ca.crt");
      expect(cm.data).toEqual({ "ca.crt": PEM });
      await registry.update(CM, "ca", "kube-root-ca.crt", (cur) => ({ ...cur, data: { "ca.crt": "tampered", extra: "x" } }), ADMIN);
      await withCA.reconcile("ca");
      expect((await registry.get(CM, "ca", "kube-root-ca.crt")).data).toEqual({ "ca.crt": PEM });
    } finally {
      withCA.stop();
    }
  });

  it("publishes nothing without a CA", async () => {
    await ns("noca");
    await ctl.reconcile("noca");
    expect(await registry.tryGet(CM, "noca", "kube-root-ca.crt")).toBeUndefined();
  });

  it("reacts to changes and deletion of the ConfigMap, not to its creation", () => {
    const ev = (type: "ADDED" | "MODIFIED" | "DELETED") => ({ type, resource: CM, object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kube-root-ca.crt", namespace: "z" } } });
    expect(namespaceToCheck(ev("DELETED"))).toBe("z");
    expect(namespaceToCheck(ev("MODIFIED"))).toBe("z");
    expect(namespaceToCheck(ev("ADDED"))).toBeUndefined();
  });
});
