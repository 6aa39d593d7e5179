// Foreground deletion and blockOwnerDeletion, against an in-memory store and the real Registry:
// the owner waits (finalizer foregroundDeletion) only for dependents whose reference to it has
// blockOwnerDeletion=true.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RESOURCES } from "../../../api/registry/resources.js";
import type { KubeObject } from "../../../api/registry/types.js";
import { createKnowledge } from "../../apiserver/knowledge.js";
import { Registry, type Caller } from "../../apiserver/rest.js";
import { MemoryBackend } from "../../store/memory/memory-backend.js";
import { watchStore } from "../store-watch.js";
import { GarbageCollector } from "./controller.js";

const CM = RESOURCES.find((r) => r.kind === "ConfigMap" && r.group === "")!;
const NS = RESOURCES.find((r) => r.kind === "Namespace" && r.group === "")!;
const ADMIN: Caller = { user: "admin", groups: ["system:masters"], userAgent: "test" };
const HOLD = "example.com/hold";

let backend: MemoryBackend;
let registry: Registry;
let gc: GarbageCollector;
let abort: AbortController;

beforeEach(async () => {
  backend = new MemoryBackend();
  await backend.start();
  registry = new Registry(backend, createKnowledge());
  await registry.create(NS, "", { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } }, ADMIN);
  gc = new GarbageCollector(registry);
  abort = new AbortController();
  await watchStore(backend, (ev) => gc.onEvent(ev), abort.signal);
});

afterEach(async () => {
  abort.abort();
  gc.stop();
  await backend.close();
});

async function cm(name: string, meta: Record<string, unknown> = {}): Promise<KubeObject> {
  return registry.create(CM, "default", { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...meta } }, ADMIN);
}

function ref(owner: KubeObject, block: boolean) {
  return { apiVersion: "v1", kind: "ConfigMap", name: owner.metadata!.name!, uid: owner.metadata!.uid!, blockOwnerDeletion: block };
}

async function release(name: string): Promise<void> {
  await registry.update(CM, "default", name, (o) => ({ ...o, metadata: { ...o.metadata, finalizers: [] } }), ADMIN);
}

async function eventually(what: string, fn: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Lets the collector run its passes (the foreground re-check runs every 200 ms). */
const settle = () => new Promise((r) => setTimeout(r, 600));
const exists = async (name: string) => (await registry.tryGet(CM, "default", name)) !== undefined;
const terminating = async (name: string) => !!(await registry.tryGet(CM, "default", name))?.metadata?.deletionTimestamp;

describe("foreground deletion", () => {
  it("waits for dependents with blockOwnerDeletion=true, and only for those", async () => {
    const owner = await cm("owner");
    await cm("blocker", { ownerReferences: [ref(owner, true)], finalizers: [HOLD] });
    await cm("free", { ownerReferences: [ref(owner, false)], finalizers: [HOLD] });
    await registry.delete(CM, "default", "owner", ADMIN, { propagationPolicy: "Foreground" });

    // Both dependents are deleted (they wait on their own finalizer); the owner waits.
    await eventually("dependents terminating", async () => (await terminating("blocker")) && (await terminating("free")));
    await release("free");
    await eventually("free gone", async () => !(await exists("free")));
    await settle();
    const waiting = await registry.tryGet(CM, "default", "owner");
    expect(waiting?.metadata?.finalizers).toContain("foregroundDeletion");

    await release("blocker");
    await eventually("owner gone", async () => !(await exists("owner")));
    expect(await exists("blocker")).toBe(false);
  });

  it("does not wait for dependents without blockOwnerDeletion", async () => {
    const owner = await cm("owner2");
    await cm("dep", { ownerReferences: [ref(owner, false)], finalizers: [HOLD] });
    await registry.delete(CM, "default", "owner2", ADMIN, { propagationPolicy: "Foreground" });
    await eventually("owner gone", async () => !(await exists("owner2")));
    expect(await terminating("dep")).toBe(true);
    await release("dep");
    await eventually("dep gone", async () => !(await exists("dep")));
  });
});
