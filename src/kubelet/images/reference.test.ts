import { describe, expect, it } from "vitest";
import { familiarImageRef, normalizeImageRef, parseImageRef } from "./reference.js";

const D = "sha256:" + "a".repeat(64);

describe("normalizeImageRef", () => {
  it.each([
    ["busybox", "docker.io/library/busybox:latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36"],
    ["library/busybox", "docker.io/library/busybox:latest"],
    ["docker.io/busybox", "docker.io/library/busybox:latest"],
    ["index.docker.io/library/busybox:1", "docker.io/library/busybox:1"],
    ["user/app:tag", "docker.io/user/app:tag"],
    ["user/team/app", "docker.io/user/team/app:latest"],
    ["registry:5000/app", "registry:5000/app:latest"],
    ["registry:5000/app:v2", "registry:5000/app:v2"],
    ["localhost/app", "localhost/app:latest"],
    ["localhost:5000/a/b:c", "localhost:5000/a/b:c"],
    ["ghcr.io/org/app:1.2.3", "ghcr.io/org/app:1.2.3"],
    ["Registry.Example.com/app", "Registry.Example.com/app:latest"],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`],
    [`busybox:1@${D}`, `docker.io/library/busybox:1@${D}`],
    [`registry:5000/app@${D}`, `registry:5000/app@${D}`],
    ["my_app/a__b.c-d", "docker.io/my_app/a__b.c-d:latest"],
    ["mctest/app:1", "docker.io/mctest/app:1"],
  ])("%s -> %s", (input, want) => {
    expect(normalizeImageRef(input)).toBe(want);
  });

  it("is idempotent", () => {
    for (const r of ["busybox", "user/app:tag", "registry:5000/app", `busybox@${D}`]) {
      expect(normalizeImageRef(normalizeImageRef(r))).toBe(normalizeImageRef(r));
    }
  });

  it.each([
    ["", /empty/],
    ["Busybox", /must be lowercase/],
    ["user/App", /must be lowercase/],
    ["docker.io/Library/busybox", /must be lowercase/],
    ["busybox:", /bad tag/],
    ["busybox:-x", /bad tag/],
    [`busybox:${"t".repeat(129)}`, /bad tag/],
    ["busybox@sha256:abc", /bad digest/],
    [`busybox@sha256:${"A".repeat(64)}`, /64 lowercase hex/],
    ["a".repeat(64), /image ID/],
    ["bad name", /white space/],
    ["user//app", /component/],
    ["-app", /component/],
    ["app-", /component/],
    [":tag", /no repository/],
    ["bad_domain.com:port/app", /registry/],
    [`x/${"a".repeat(260)}`, /longer than/],
  ])("rejects %j", (input, why) => {
    expect(() => normalizeImageRef(input)).toThrow(why);
  });
});

describe("parseImageRef", () => {
  it("splits domain, path, tag and digest", () => {
    expect(parseImageRef(`registry:5000/team/app:v1@${D}`)).toEqual({ domain: "registry:5000", path: "team/app", tag: "v1", digest: D });
    expect(parseImageRef("busybox")).toEqual({ domain: "docker.io", path: "library/busybox" });
  });
});

describe("familiarImageRef", () => {
  it.each([
    ["docker.io/library/busybox:latest", "busybox:latest"],
    ["busybox", "busybox:latest"],
    ["docker.io/user/app:1", "user/app:1"],
    ["registry:5000/app:latest", "registry:5000/app:latest"],
    [`busybox@${D}`, `busybox@${D}`],
  ])("%s -> %s", (input, want) => {
    expect(familiarImageRef(input)).toBe(want);
  });
});
