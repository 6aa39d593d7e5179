import { describe, expect, it } from "vitest";
import type { FieldError } from "../errors.js";
import type { KubeObject } from "../registry/types.js";
import { cronJobDefaults, jobDefaults, validateCronJob, validateJob, validateJobUpdate } from "./batch.js";
import { cronScheduleError, timeZoneError } from "./cron.js";
import type { Obj } from "./util.js";

const pairs = (errs: FieldError[]) => errs.map((e) => [e.type, e.field]);
const UID = "0f5c6d8e-1111-2222-3333-444455556666";

function job(mutate: (spec: Obj) => void = () => {}, uid = UID): KubeObject {
  const spec: Obj = { template: { spec: { restartPolicy: "Never", containers: [{ name: "pi", image: "perl:5.34" }] } } };
  mutate(spec);
  const j: KubeObject = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "pi", namespace: "default", uid }, spec };
  jobDefaults(j);
  return j;
}

describe("job defaults", () => {
  it("fills counts, policies and the generated selector and labels", () => {
    const j = job();
    const spec = j.spec as Obj;
    expect(spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: "NonIndexed",
      suspend: false,
      podReplacementPolicy: "TerminatingOrFailed",
      selector: { matchLabels: { "batch.kubernetes.io/controller-uid": UID } },
    });
    const labels = { "batch.kubernetes.io/controller-uid": UID, "batch.kubernetes.io/job-name": "pi", "controller-uid": UID, "job-name": "pi" };
    expect(spec.template.metadata.labels).toEqual(labels);
    expect(j.metadata?.labels).toEqual(labels);
    expect(spec.template.spec.terminationGracePeriodSeconds).toBe(30);
  });

  it("defaults only parallelism when completions is set", () => {
    const spec = job((s) => (s.completions = 5)).spec as Obj;
    expect(spec.completions).toBe(5);
    expect(spec.parallelism).toBe(1);
    expect(job((s) => (s.parallelism = 3)).spec).not.toHaveProperty("completions");
  });

  it("uses Failed pod replacement with a pod failure policy", () => {
    const spec = job((s) => (s.podFailurePolicy = { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] }] })).spec as Obj;
    expect(spec.podReplacementPolicy).toBe("Failed");
    expect(spec.podFailurePolicy.rules[0].onPodConditions[0].status).toBe("True");
  });

  it("leaves a manual selector alone", () => {
    const spec = job((s) => {
      s.manualSelector = true;
      s.selector = { matchLabels: { a: "b" } };
      s.template.metadata = { labels: { a: "b" } };
    }).spec as Obj;
    expect(spec.selector).toEqual({ matchLabels: { a: "b" } });
    expect(spec.template.metadata.labels).toEqual({ a: "b" });
  });
});

describe("job validation", () => {
  const cases: Array<[string, (s: Obj) => void, Array<[string, string]>]> = [
    ["valid", () => {}, []],
    ["restartPolicy Always", (s) => (s.template.spec.restartPolicy = "Always"), [["FieldValueNotSupported", "spec.template.spec.restartPolicy"]]],
    ["restartPolicy defaulted to Always", (s) => delete s.template.spec.restartPolicy, [["FieldValueNotSupported", "spec.template.spec.restartPolicy"]]],
    ["negative parallelism", (s) => (s.parallelism = -1), [["FieldValueInvalid", "spec.parallelism"]]],
    ["negative backoffLimit", (s) => (s.backoffLimit = -2), [["FieldValueInvalid", "spec.backoffLimit"]]],
    ["completion mode enum", (s) => (s.completionMode = "Ordered"), [["FieldValueNotSupported", "spec.completionMode"]]],
    ["indexed without completions", (s) => ((s.completionMode = "Indexed"), (s.parallelism = 2)), [["FieldValueRequired", "spec.completions"]]],
    [
      "selector not matching the generated labels",
      (s) => (s.selector = { matchLabels: { "batch.kubernetes.io/controller-uid": "other" } }),
      [
        ["FieldValueInvalid", "spec.selector"],
        ["FieldValueInvalid", "spec.template.metadata.labels"],
      ],
    ],
    [
      "conflicting generated label",
      (s) => (s.template.metadata = { labels: { "batch.kubernetes.io/job-name": "other" } }),
      [["FieldValueInvalid", "spec.template.metadata.labels[batch.kubernetes.io/job-name]"]],
    ],
  ];
  it.each(cases)("%s", (_n, mutate, expected) => {
    expect(pairs(validateJob(job(mutate)))).toEqual(expected);
  });

  it("needs the uid for a generated selector", () => {
    expect(pairs(validateJob(job(() => {}, "")))).toEqual([["FieldValueRequired", "spec.selector"]]);
    const noUid = job(() => {}, "");
    (noUid.spec as Obj).selector = { matchLabels: { x: "y" } };
    expect(pairs(validateJob(noUid))).toContainEqual(["FieldValueRequired", "metadata.uid"]);
  });

  it("uses Kubernetes' restartPolicy message", () => {
    const [err] = validateJob(job((s) => (s.template.spec.restartPolicy = "Always")));
    expect(err.detail).toBe('Unsupported value: "Always": supported values: "OnFailure", "Never"');
  });
});

describe("job update", () => {
  const old = job();
  it("refuses template, selector and completions changes", () => {
    const next = structuredClone(old);
    (next.spec as Obj).template.spec.containers[0].image = "perl:5.36";
    (next.spec as Obj).completions = 2;
    expect(pairs(validateJobUpdate(next, old))).toEqual([
      ["FieldValueInvalid", "spec.completions"],
      ["FieldValueInvalid", "spec.template"],
    ]);
  });

  it("allows scheduling directives to change while suspended and not started", () => {
    const suspended = job((s) => (s.suspend = true));
    const next = structuredClone(suspended);
    (next.spec as Obj).template.spec.nodeSelector = { zone: "a" };
    expect(validateJobUpdate(next, suspended)).toEqual([]);
    (next.spec as Obj).template.spec.containers[0].image = "x";
    expect(pairs(validateJobUpdate(next, suspended))).toEqual([["FieldValueInvalid", "spec.template"]]);
    const started = { ...suspended, status: { startTime: "2024-01-01T00:00:00Z" } };
    const next2 = structuredClone(suspended);
    (next2.spec as Obj).template.spec.nodeSelector = { zone: "a" };
    expect(pairs(validateJobUpdate(next2, started))).toEqual([["FieldValueInvalid", "spec.template"]]);
  });
});

function cronJob(mutate: (spec: Obj) => void = () => {}, name = "hello"): KubeObject {
  const spec: Obj = {
    schedule: "*/5 * * * *",
    jobTemplate: { spec: { template: { spec: { restartPolicy: "OnFailure", containers: [{ name: "c", image: "busybox" }] } } } },
  };
  mutate(spec);
  const c: KubeObject = { apiVersion: "batch/v1", kind: "CronJob", metadata: { name, namespace: "default" }, spec };
  cronJobDefaults(c);
  return c;
}

describe("cronjob", () => {
  it("defaults", () => {
    const spec = cronJob().spec as Obj;
    expect(spec).toMatchObject({ concurrencyPolicy: "Allow", suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(spec.jobTemplate.spec.template.spec.dnsPolicy).toBe("ClusterFirst");
    expect(spec.jobTemplate.spec.backoffLimit).toBeUndefined();
  });

  const cases: Array<[string, (s: Obj) => void, Array<[string, string]>]> = [
    ["valid", () => {}, []],
    ["missing schedule", (s) => delete s.schedule, [["FieldValueRequired", "spec.schedule"]]],
    ["bad schedule", (s) => (s.schedule = "61 * * * *"), [["FieldValueInvalid", "spec.schedule"]]],
    ["TZ in schedule", (s) => (s.schedule = "TZ=UTC 0 * * * *"), [["FieldValueInvalid", "spec.schedule"]]],
    ["bad time zone", (s) => (s.timeZone = "Mars/Olympus"), [["FieldValueInvalid", "spec.timeZone"]]],
    ["concurrency enum", (s) => (s.concurrencyPolicy = "Sometimes"), [["FieldValueNotSupported", "spec.concurrencyPolicy"]]],
    ["selector in template", (s) => (s.jobTemplate.spec.selector = { matchLabels: { a: "b" } }), [["FieldValueInvalid", "spec.jobTemplate.spec.selector"]]],
    ["template restartPolicy", (s) => (s.jobTemplate.spec.template.spec.restartPolicy = "Always"), [["FieldValueNotSupported", "spec.jobTemplate.spec.template.spec.restartPolicy"]]],
  ];
  it.each(cases)("%s", (_n, mutate, expected) => {
    expect(pairs(validateCronJob(cronJob(mutate)))).toEqual(expected);
  });

  it("limits the name to 52 characters", () => {
    const errs = validateCronJob(cronJob(() => {}, "a".repeat(53)));
    expect(errs).toEqual([{ type: "FieldValueInvalid", field: "metadata.name", detail: `Invalid value: "${"a".repeat(53)}": must be no more than 52 characters` }]);
  });
});

describe("cron schedule", () => {
  it.each([
    ["*/15 * * * *", undefined],
    ["0 0 1 jan,jul mon-fri", undefined],
    ["0 9-17/2 * * 1-5", undefined],
    ["@hourly", undefined],
    ["@every 1h30m", undefined],
    ["", "empty spec string"],
    ["* * *", "expected exactly 5 fields, found 3: [* * *]"],
    ["61 * * * *", "end of range (61) above maximum (59): 61"],
    ["0 0 0 * *", "beginning of range (0) below minimum (1): 0"],
    ["5-2 * * * *", "beginning of range (5) beyond end of range (2): 5-2"],
    ["*/0 * * * *", "step of range should be a positive number: */0"],
    ["x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ["1-2-3 * * * *", "too many hyphens: 1-2-3"],
    ["0 0 * * 7", "end of range (7) above maximum (6): 7"],
    ["@fortnightly", "unrecognized descriptor: @fortnightly"],
    ["TZ=Nowhere/City 0 * * * *", "provided bad location Nowhere/City: unknown time zone Nowhere/City"],
  ])("%j", (schedule, expected) => {
    expect(cronScheduleError(schedule)).toBe(expected);
  });

  it("checks time zones", () => {
    expect(timeZoneError("Europe/Berlin")).toBeUndefined();
    expect(timeZoneError("UTC")).toBeUndefined();
    expect(timeZoneError("Local")).toBe("timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones");
    expect(timeZoneError("")).toBe("timeZone must be nil or non-empty string");
    expect(timeZoneError("../etc")).toBe("unknown time zone ../etc");
  });
});
