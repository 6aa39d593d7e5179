// A minimal event recorder for in-process controllers: core/v1 Events as client-go's recorder
// writes them (name `<object>.<hex nanoseconds>`, involvedObject, source component, first/last
// timestamp, count 1). Failures to record are logged, never raised: events are best effort.

import { RESOURCES } from "../../../api/registry/resources.js";
import type { KubeObject } from "../../../api/registry/types.js";
import type { Caller, Registry } from "../../apiserver/rest.js";
import { rfc3339 } from "./pods.js";

const EVENT_DEF = RESOURCES.find((r) => r.kind === "Event" && r.group === "")!;

export class EventRecorder {
  private seq = 0;

  constructor(
    private readonly registry: Registry,
    private readonly component: string,
    private readonly caller: Caller,
    private readonly log: (m: string) => void = () => {},
    private readonly clock: () => Date = () => new Date(),
  ) {}

  record(obj: KubeObject, type: "Normal" | "Warning", reason: string, message: string): void {
    const meta = obj.metadata ?? {};
    const now = this.clock();
    const ns = meta.namespace || "default";
    const nanos = BigInt(now.getTime()) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    const event: KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${meta.name}.${nanos.toString(16)}`, namespace: ns },
      involvedObject: {
        kind: obj.kind,
        apiVersion: obj.apiVersion,
        namespace: meta.namespace,
        name: meta.name,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      reason,
      message,
      source: { component: this.component },
      firstTimestamp: rfc3339(now),
      lastTimestamp: rfc3339(now),
      count: 1,
      type,
      reportingComponent: this.component,
      reportingInstance: "",
    };
    this.registry.create(EVENT_DEF, ns, event, this.caller).catch((err: unknown) => this.log(`${this.component}: recording event ${reason}: ${String(err)}`));
  }
}
