// Service cluster IPs and node ports, as the API server's Service REST storage allocates them:
// an in-memory bitmap per range, filled from the stored Services at start and changed only inside
// the Registry's create/update/delete path. Every change happens synchronously in one call, so
// two concurrent creates can never take the same IP or port. Each write gets a transaction:
// `commit` after the store accepted it (releases what the old object held and the new one no
// longer does), `revert` when it did not (releases what was taken for it).
//
// As in Kubernetes (KEP-3070), each range has a lower "static" band that dynamic allocation uses
// only when the upper band is full, so well-known IPs (10.96.0.10 for DNS) stay free.

import { StatusError, internalError, invalid, type FieldError } from "../../api/errors.js";
import type { KubeObject } from "../../api/registry/types.js";
import { arr, isObj, specOf, type Obj } from "../../api/types/util.js";
import { ipFamilyOf, isIPv4 } from "../../api/validation/net.js";
import { ipv4ToNumber, numberToIPv4, parseIPv4Cidr } from "../../cluster/config/cidr.js";

export const DEFAULT_SERVICE_SUBNET = "10.96.0.0/16";
export const DEFAULT_NODE_PORT_RANGE = { base: 30000, size: 2768 } as const;

/** A set of integers [0, size) with a lower band that dynamic allocation avoids while it can. */
export class BitmapRange {
  private readonly bits: Uint8Array;
  private count = 0;

  constructor(
    readonly size: number,
    /** Indices below this are handed out dynamically only when all others are taken. */
    readonly staticBand: number,
    /** Indices dynamic allocation never returns (still allocatable by asking for them). */
    private readonly reserved: ReadonlySet<number> = new Set(),
  ) {
    this.bits = new Uint8Array(size);
  }

  get used(): number {
    return this.count;
  }

  has(i: number): boolean {
    return this.bits[i] === 1;
  }

  /** Takes index i; false when it is already taken. */
  take(i: number): boolean {
    if (this.bits[i]) return false;
    this.bits[i] = 1;
    this.count++;
    return true;
  }

  release(i: number): void {
    if (i < 0 || i >= this.size || !this.bits[i]) return;
    this.bits[i] = 0;
    this.count--;
  }

  /** A free index: random start in the upper band, scanning on; then the static band. */
  takeNext(random: () => number): number | undefined {
    const bands: Array<[number, number]> = [
      [this.staticBand, this.size],
      [0, this.staticBand],
    ];
    for (const [lo, hi] of bands) {
      const n = hi - lo;
      if (n <= 0) continue;
      const start = Math.floor(random() * n) % n;
      for (let k = 0; k < n; k++) {
        const i = lo + ((start + k) % n);
        if (!this.bits[i] && !this.reserved.has(i)) {
          this.take(i);
          return i;
        }
      }
    }
    return undefined;
  }
}

/** Kubernetes' calculateRangeOffset: the size of the static band for a range of `size`. */
export function staticBandSize(size: number, min: number, max: number, step: number): number {
  if (size < min) return 0;
  return Math.max(min, Math.min(max, Math.floor(size / step)));
}

export interface ServiceAllocatorOptions {
  serviceSubnet?: string;
  nodePortRange?: { base: number; size: number };
  /** IPs dynamic allocation never hands out (default: the first IP and the tenth, kubernetes and DNS). */
  reservedIPs?: string[];
  random?: () => number;
}

export interface AllocationTxn {
  commit(): void;
  revert(): void;
}

/** What a Service holds. */
interface Holdings {
  ips: number[];
  ports: number[];
}

export function needsClusterIP(spec: Obj): boolean {
  return spec.type !== "ExternalName" && spec.clusterIP !== "None";
}

export function needsNodePorts(spec: Obj): boolean {
  return spec.type === "NodePort" || (spec.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts !== false);
}

function needsHealthCheckPort(spec: Obj): boolean {
  return spec.type === "LoadBalancer" && spec.externalTrafficPolicy === "Local";
}

/** The first usable IP of a service subnet (the `kubernetes` Service's), e.g. 10.96.0.1. */
export function nthServiceIP(serviceSubnet: string, n: number): string {
  const c = parseIPv4Cidr(serviceSubnet);
  if (typeof c === "string") throw new Error(`service subnet ${JSON.stringify(serviceSubnet)} ${c}`);
  return numberToIPv4(c.base + n);
}

/** Go's %#v of a []string, as Kubernetes prints the value of spec.clusterIPs in errors. */
function goStrings(values: unknown[]): string {
  return `[]string{${values.map((v) => JSON.stringify(String(v))).join(", ")}}`;
}

function invalidService(name: string, errors: FieldError[]): StatusError {
  return invalid("Service", "", name, errors);
}

export class ServiceAllocator {
  /** The service subnet as configured, e.g. "10.96.0.0/16" (the text in "valid range" errors). */
  readonly subnet: string;
  private readonly firstIP: number;
  private readonly ips: BitmapRange;
  private readonly ports: BitmapRange;
  private readonly portBase: number;
  private readonly random: () => number;

  constructor(opts: ServiceAllocatorOptions = {}) {
    this.subnet = opts.serviceSubnet ?? DEFAULT_SERVICE_SUBNET;
    const c = parseIPv4Cidr(this.subnet);
    if (typeof c === "string") throw new Error(`service subnet ${JSON.stringify(this.subnet)} ${c}`);
    if (c.prefix > 30) throw new Error(`service subnet ${this.subnet} is too small`);
    // Usable addresses: all but the network and broadcast addresses.
    this.firstIP = c.base + 1;
    const ipCount = 2 ** (32 - c.prefix) - 2;
    const reserved = new Set<number>();
    for (const ip of opts.reservedIPs ?? [nthServiceIP(this.subnet, 1), nthServiceIP(this.subnet, 10)]) {
      const i = ipv4ToNumber(ip) - this.firstIP;
      if (i >= 0 && i < ipCount) reserved.add(i);
    }
    this.ips = new BitmapRange(ipCount, staticBandSize(ipCount, 16, 256, 16), reserved);
    const pr = opts.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
    this.portBase = pr.base;
    this.ports = new BitmapRange(pr.size, staticBandSize(pr.size, 16, 128, 32));
    this.random = opts.random ?? Math.random;
  }

  get portRange(): string {
    return `${this.portBase}-${this.portBase + this.ports.size - 1}`;
  }

  isIPAllocated(ip: string): boolean {
    const i = this.ipIndex(ip);
    return i !== undefined && this.ips.has(i);
  }

  isPortAllocated(port: number): boolean {
    const i = this.portIndex(port);
    return i !== undefined && this.ports.has(i);
  }

  get usedIPs(): number {
    return this.ips.used;
  }

  get usedPorts(): number {
    return this.ports.used;
  }

  /**
   * Marks what a stored Service holds (at start). Returns problems (a value held twice or out
   * of range, e.g. after the subnet changed); the Service keeps its values either way.
   */
  restore(svc: KubeObject): string[] {
    const problems: string[] = [];
    const id = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
    const h = this.holdingsOf(svc);
    for (const ip of this.ipsOf(svc)) {
      const i = this.ipIndex(ip);
      if (i === undefined) problems.push(`service ${id}: cluster IP ${ip} is outside ${this.subnet}`);
      else if (!this.ips.take(i)) problems.push(`service ${id}: cluster IP ${ip} is held twice`);
    }
    for (const p of h.ports) if (!this.ports.take(p)) problems.push(`service ${id}: node port ${p + this.portBase} is held twice`);
    for (const p of this.portsOf(svc)) if (this.portIndex(p) === undefined) problems.push(`service ${id}: node port ${p} is outside ${this.portRange}`);
    return problems;
  }

  /** Frees what a deleted Service held. */
  release(svc: KubeObject): void {
    const h = this.holdingsOf(svc);
    for (const i of h.ips) this.ips.release(i);
    for (const p of h.ports) this.ports.release(p);
  }

  /** Allocates for a new Service, filling spec.clusterIP(s) and node ports; throws 422/500. */
  beginCreate(svc: KubeObject): AllocationTxn {
    const spec = specOf(svc);
    const name = svc.metadata?.name ?? svc.metadata?.generateName ?? "";
    this.checkFamilies(spec, name);
    const taken: Holdings = { ips: [], ports: [] };
    const revert = () => {
      for (const i of taken.ips) this.ips.release(i);
      for (const p of taken.ports) this.ports.release(p);
    };
    try {
      if (needsClusterIP(spec)) this.allocateIP(spec, name, taken);
      else if (spec.clusterIP === "None") spec.clusterIPs = ["None"];
      this.allocatePorts(spec, name, taken, new Set());
    } catch (err) {
      revert();
      throw err;
    }
    return { commit() {}, revert };
  }

  /** Allocates what an update adds (a type change, new ports); `commit` frees what it drops. */
  beginUpdate(next: KubeObject, old: KubeObject): AllocationTxn {
    const spec = specOf(next);
    const o = isObj(old.spec) ? (old.spec as Obj) : {};
    const name = next.metadata?.name ?? "";
    const held = this.holdingsOf(old);
    const taken: Holdings = { ips: [], ports: [] };
    const revert = () => {
      for (const i of taken.ips) this.ips.release(i);
      for (const p of taken.ports) this.ports.release(p);
    };
    let keptIPs: number[] = [];
    try {
      if (needsClusterIP(spec)) {
        if (needsClusterIP(o) && arr(o.clusterIPs).length) {
          keptIPs = held.ips; // immutable: validation refused any change
        } else {
          this.checkFamilies(spec, name);
          this.allocateIP(spec, name, taken);
        }
      } else if (spec.clusterIP === "None") {
        spec.clusterIPs = ["None"];
      }
      this.allocatePorts(spec, name, taken, new Set(held.ports));
    } catch (err) {
      revert();
      throw err;
    }
    const keptPorts = new Set(this.holdingsOf(next).ports);
    const ips = this.ips;
    const ports = this.ports;
    return {
      commit() {
        for (const i of held.ips) if (!keptIPs.includes(i)) ips.release(i);
        for (const p of held.ports) if (!keptPorts.has(p)) ports.release(p);
      },
      revert,
    };
  }

  // ---- internals

  private ipIndex(ip: string): number | undefined {
    if (!isIPv4(ip)) return undefined;
    const i = ipv4ToNumber(ip) - this.firstIP;
    return i >= 0 && i < this.ips.size ? i : undefined;
  }

  private portIndex(port: number): number | undefined {
    const i = port - this.portBase;
    return Number.isInteger(i) && i >= 0 && i < this.ports.size ? i : undefined;
  }

  private ipsOf(svc: KubeObject): string[] {
    const spec = isObj(svc.spec) ? (svc.spec as Obj) : {};
    if (!needsClusterIP(spec)) return [];
    const ips = arr<string>(spec.clusterIPs).length ? arr<string>(spec.clusterIPs) : spec.clusterIP ? [spec.clusterIP as string] : [];
    return ips.filter((ip) => ip && ip !== "None");
  }

  private portsOf(svc: KubeObject): number[] {
    const spec = isObj(svc.spec) ? (svc.spec as Obj) : {};
    const out: number[] = [];
    if (needsNodePorts(spec)) for (const p of arr(spec.ports)) if (typeof p.nodePort === "number" && p.nodePort) out.push(p.nodePort);
    if (needsHealthCheckPort(spec) && typeof spec.healthCheckNodePort === "number" && spec.healthCheckNodePort) out.push(spec.healthCheckNodePort);
    return [...new Set(out)];
  }

  /** The bitmap indices a stored Service holds (values outside the ranges are not held). */
  private holdingsOf(svc: KubeObject): Holdings {
    const ips: number[] = [];
    for (const ip of this.ipsOf(svc)) {
      const i = this.ipIndex(ip);
      if (i !== undefined) ips.push(i);
    }
    const ports: number[] = [];
    for (const p of this.portsOf(svc)) {
      const i = this.portIndex(p);
      if (i !== undefined) ports.push(i);
    }
    return { ips, ports };
  }

  /** A single-stack IPv4 cluster: refuse IPv6 and RequireDualStack as Kubernetes does. */
  private checkFamilies(spec: Obj, name: string): void {
    const errs: FieldError[] = [];
    arr<string>(spec.ipFamilies).forEach((f, i) => {
      if (f === "IPv6") errs.push({ type: "FieldValueInvalid", field: `spec.ipFamilies[${i}]`, detail: `Invalid value: "IPv6": not configured on this cluster` });
    });
    const headlessSelectorless = spec.clusterIP === "None" && !Object.keys(isObj(spec.selector) ? spec.selector : {}).length;
    if (spec.ipFamilyPolicy === "RequireDualStack" && !headlessSelectorless) {
      errs.push({ type: "FieldValueInvalid", field: "spec.ipFamilyPolicy", detail: `Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services` });
    }
    if (errs.length) throw invalidService(name, errs);
  }

  private allocateIP(spec: Obj, name: string, taken: Holdings): void {
    const asked = arr<string>(spec.clusterIPs).length ? arr<string>(spec.clusterIPs) : spec.clusterIP ? [spec.clusterIP as string] : [];
    const want = asked[0];
    if (!want) {
      const i = this.ips.takeNext(this.random);
      if (i === undefined) throw internalError("failed to allocate a serviceIP: range is full");
      taken.ips.push(i);
      const ip = numberToIPv4(this.firstIP + i);
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    } else {
      const fail = (why: string) =>
        invalidService(name, [{ type: "FieldValueInvalid", field: "spec.clusterIPs", detail: `Invalid value: ${goStrings(asked)}: failed to allocate IP ${want}: ${why}` }]);
      if (asked.length > 1 || ipFamilyOf(want) !== "IPv4") {
        const fam = asked.length > 1 ? "IPv6" : (ipFamilyOf(want) ?? "IPv6");
        throw invalidService(name, [{ type: "FieldValueInvalid", field: "spec.ipFamilies[1]", detail: `Invalid value: "${fam}": not configured on this cluster` }]);
      }
      const i = this.ipIndex(want);
      if (i === undefined) throw fail(`the provided IP (${want}) is not in the valid range. The range of valid IPs is ${this.subnet}`);
      if (!this.ips.take(i)) throw fail("provided IP is already allocated");
      taken.ips.push(i);
      spec.clusterIP = want;
      spec.clusterIPs = [want];
    }
    spec.ipFamilies = ["IPv4"];
  }

  /** Node ports for every port (and the health check port) that needs one; `own` are the ones the old object held. */
  private allocatePorts(spec: Obj, name: string, taken: Holdings, own: ReadonlySet<number>): void {
    const mine = new Set<number>(); // ports this object uses (several protocols may share one)
    const claim = (value: number, field: string): void => {
      const i = this.portIndex(value);
      if (i === undefined) {
        throw invalidService(name, [
          { type: "FieldValueInvalid", field, detail: `Invalid value: ${value}: provided port is not in the valid range. The range of valid ports is ${this.portRange}` },
        ]);
      }
      if (mine.has(i)) return;
      if (own.has(i)) {
        mine.add(i);
        return;
      }
      if (!this.ports.take(i)) {
        throw invalidService(name, [{ type: "FieldValueInvalid", field, detail: `Invalid value: ${value}: provided port is already allocated` }]);
      }
      taken.ports.push(i);
      mine.add(i);
    };
    const next = (): number => {
      const i = this.ports.takeNext(this.random);
      if (i === undefined) throw internalError("failed to allocate a nodePort: range is full");
      taken.ports.push(i);
      mine.add(i);
      return i + this.portBase;
    };
    if (needsNodePorts(spec)) {
      const ports = arr(spec.ports);
      // Explicit ones first, so a dynamic pick never takes a port asked for later in the list.
      ports.forEach((p, idx) => {
        if (typeof p.nodePort === "number" && p.nodePort) claim(p.nodePort, `spec.ports[${idx}].nodePort`);
      });
      for (const p of ports) if (!p.nodePort) p.nodePort = next();
    }
    if (needsHealthCheckPort(spec)) {
      if (typeof spec.healthCheckNodePort === "number" && spec.healthCheckNodePort) claim(spec.healthCheckNodePort, "spec.healthCheckNodePort");
      else spec.healthCheckNodePort = next();
    }
  }
}
