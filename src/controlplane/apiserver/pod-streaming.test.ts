import { describe, expect, it } from "vitest";
import { chooseContainer, kubeletEndpoint, statusFromKubelet } from "./pod-streaming.js";

const pod = (containers: string[], init: string[] = []) => ({
  metadata: { name: "web" },
  spec: { containers: containers.map((name) => ({ name })), initContainers: init.map((name) => ({ name })) },
});

describe("pod streaming targets", () => {
  it("chooses the container as Kubernetes' validateContainer does", () => {
    expect(chooseContainer(pod(["app"]), "")).toBe("app");
    expect(chooseContainer(pod(["a", "b"], ["init"]), "init")).toBe("init");
    expect(() => chooseContainer(pod(["a", "b"], ["init"]), "")).toThrow("a container name must be specified for pod web, choose one of: [init a b]");
    expect(() => chooseContainer(pod(["app"]), "nope")).toThrow("container nope is not valid for pod web");
  });

  it("dials the kubelet on the InternalIP and its advertised port", () => {
    expect(kubeletEndpoint({ status: { addresses: [{ type: "Hostname", address: "n1" }, { type: "InternalIP", address: "10.0.0.2" }] } })).toEqual({ host: "10.0.0.2", port: 10250 });
    expect(kubeletEndpoint({ status: { addresses: [{ type: "Hostname", address: "n1" }], daemonEndpoints: { kubeletEndpoint: { Port: 1234 } } } })).toEqual({ host: "n1", port: 1234 });
    expect(kubeletEndpoint({ status: {} })).toBeUndefined();
  });

  it("turns kubelet errors into Status errors", () => {
    const fromJson = statusFromKubelet(400, JSON.stringify({ kind: "Status", code: 400, reason: "BadRequest", message: "container is waiting" }));
    expect(fromJson.status).toMatchObject({ code: 400, reason: "BadRequest", message: "container is waiting" });
    expect(statusFromKubelet(500, "boom\n").status).toMatchObject({ code: 500, reason: "InternalError", message: "boom" });
    expect(statusFromKubelet(404, "").status).toMatchObject({ code: 404, reason: "NotFound" });
  });
});
