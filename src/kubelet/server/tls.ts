// The kubelet's serving certificate. Workers hold no CA key, so each kubelet makes its own at
// start: a self-signed ECDSA P-256 certificate for the node's names and addresses. Nobody verifies
// it — the API server dials kubelets without verifying them, as Kubernetes does by default (no
// --kubelet-certificate-authority) — so a fresh one per start is enough.
//
// Written here with node:crypto and a few lines of DER rather than with the control plane's PKI
// (src/controlplane/pki, on @peculiar/x509): a worker's process is a kubelet whose memory is
// counted, and that library with its ASN.1 schemas costs it ~5 MB of heap for one certificate.

import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { isIP, isIPv4 } from "node:net";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Tolerates clocks that disagree by a few minutes (as the cluster PKI does). */
const BACKDATE_MS = 5 * 60 * 1000;
const VALIDITY_DAYS = 365;

export async function kubeletServingTls(names: string[], now = new Date()): Promise<{ cert: string; key: string }> {
  const dns = [...new Set(names.filter((n) => n && !isIP(n)))].sort();
  const ips = [...new Set(["127.0.0.1", ...names.filter((n) => isIP(n))])].sort();
  return selfSignedServingCert({ commonName: dns[0] ?? "kubelet", dns, ips, now });
}

export interface SelfSignedRequest {
  commonName: string;
  dns: readonly string[];
  ips: readonly string[];
  now?: Date;
  validityDays?: number;
}

/** A self-signed serving certificate (PEM) and its PKCS#8 key (PEM): not a CA, serverAuth, digitalSignature. */
export function selfSignedServingCert(req: SelfSignedRequest): { cert: string; key: string } {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const now = (req.now ?? new Date()).getTime();
  const ecdsaWithSha256 = seq(oid("1.2.840.10045.4.3.2"));
  const name = seq(set(seq(oid("2.5.4.3"), tlv(0x0c, Buffer.from(req.commonName, "utf8")))));
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // positive, at most 20 octets
  const sans = [
    ...req.dns.map((d) => tlv(0x82, Buffer.from(d, "ascii"))), // [2] dNSName
    ...req.ips.map((ip) => tlv(0x87, ipBytes(ip))), // [7] iPAddress
  ];
  const extensions = [
    // basicConstraints (critical): not a CA
    seq(oid("2.5.29.19"), bool(true), octets(seq())),
    // keyUsage (critical): digitalSignature (ECDSA keys have no key encipherment)
    seq(oid("2.5.29.15"), bool(true), octets(tlv(0x03, Buffer.from([0x07, 0x80])))),
    // extKeyUsage: serverAuth
    seq(oid("2.5.29.37"), octets(seq(oid("1.3.6.1.5.5.7.3.1")))),
    ...(sans.length ? [seq(oid("2.5.29.17"), octets(seq(...sans)))] : []),
  ];
  const tbs = seq(
    tlv(0xa0, int(Buffer.from([2]))), // [0] version: v3
    int(serial),
    ecdsaWithSha256,
    name,
    seq(time(new Date(now - BACKDATE_MS)), time(new Date(now + (req.validityDays ?? VALIDITY_DAYS) * DAY_MS))),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    tlv(0xa3, seq(...extensions)), // [3] extensions
  );
  const der = seq(tbs, ecdsaWithSha256, bitString(sign("sha256", tbs, privateKey)));
  return { cert: pem("CERTIFICATE", der), key: privateKey.export({ type: "pkcs8", format: "pem" }) as string };
}

// ---- DER

function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const octets = (b: Buffer) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const bitString = (b: Buffer) => tlv(0x03, Buffer.from([0]), b);

/** A non-negative INTEGER from big-endian bytes. */
function int(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return tlv(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const base128 = [arc & 0x7f];
    for (let a = arc >>> 7; a > 0; a >>>= 7) base128.unshift((a & 0x7f) | 0x80);
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "") + "Z";
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), "ascii")) : tlv(0x18, Buffer.from(digits, "ascii"));
}

/** The 4 or 16 octets of an IP address. */
export function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split(".").map(Number));
  let text = ip.replace(/%.*$/, "");
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split(".").map(Number) as [number, number, number, number];
    text = text.slice(0, -v4[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  if (groups.length !== 8) throw new Error(`not an IP address: ${ip}`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
