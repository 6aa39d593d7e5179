// Image references, normalised the way Kubernetes (and Docker's reference package) reads them:
// "busybox" is "docker.io/library/busybox:latest", "user/app" is "docker.io/user/app:latest",
// a first component with a dot, a colon or "localhost" is a registry, digests are kept.

export class InvalidReferenceError extends Error {
  override readonly name = "InvalidReferenceError";
}

export interface ImageReference {
  /** Registry host (with port), e.g. "docker.io", "registry:5000". */
  domain: string;
  /** Repository path below the domain, e.g. "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
}

export const DEFAULT_DOMAIN = "docker.io";
const LEGACY_DOMAIN = "index.docker.io";
const OFFICIAL_PREFIX = "library/";
const MAX_NAME_LENGTH = 255;

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const ID_RE = /^[a-f0-9]{64}$/;

function invalid(ref: string, why: string): InvalidReferenceError {
  return new InvalidReferenceError(`invalid image reference ${JSON.stringify(ref)}: ${why}`);
}

/** Parses and normalises a reference; throws InvalidReferenceError with the reason. */
export function parseImageRef(ref: string): ImageReference {
  if (ref === "") throw invalid(ref, "empty");
  if (/\s/.test(ref)) throw invalid(ref, "contains white space");
  if (ID_RE.test(ref)) throw invalid(ref, "a 64-digit hexadecimal string is an image ID, not a name");
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw invalid(ref, `bad digest ${JSON.stringify(digest)}`);
    const [alg, hex] = digest.split(":") as [string, string];
    if (alg === "sha256" && !/^[a-f0-9]{64}$/.test(hex)) throw invalid(ref, "a sha256 digest is 64 lowercase hex digits");
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalid(ref, `bad tag ${JSON.stringify(tag)}`);
  }
  if (rest === "") throw invalid(ref, "no repository name");
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    // Docker's rule: a first component is a registry if it looks like a host name (a dot, a
    // port, "localhost") or has upper case (repository paths never do).
    if (first.includes(".") || first.includes(":") || first === "localhost" || first.toLowerCase() !== first) {
      if (!DOMAIN_RE.test(first)) throw invalid(ref, `bad registry ${JSON.stringify(first)}`);
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes("/")) path = OFFICIAL_PREFIX + path;
  if (path.toLowerCase() !== path) throw invalid(ref, `repository name ${JSON.stringify(path)} must be lowercase`);
  for (const c of path.split("/")) {
    if (!PATH_COMPONENT_RE.test(c)) throw invalid(ref, `bad repository name component ${JSON.stringify(c)}`);
  }
  if (`${domain}/${path}`.length > MAX_NAME_LENGTH) throw invalid(ref, `the name is longer than ${MAX_NAME_LENGTH} characters`);
  return { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The reference as a string; ":latest" is added when it has neither tag nor digest. */
export function formatImageRef(r: ImageReference): string {
  const tag = r.tag ?? (r.digest ? undefined : "latest");
  return `${r.domain}/${r.path}${tag !== undefined ? `:${tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

/** "busybox" -> "docker.io/library/busybox:latest"; "a/b" -> "docker.io/a/b:latest"; digests kept. */
export function normalizeImageRef(ref: string): string {
  return formatImageRef(parseImageRef(ref));
}

/** The shortest name Docker shows for a normalised reference ("docker.io/library/x:1" -> "x:1"). */
export function familiarImageRef(ref: string): string {
  const r = parseImageRef(ref);
  let name = `${r.domain}/${r.path}`;
  if (r.domain === DEFAULT_DOMAIN) name = r.path.startsWith(OFFICIAL_PREFIX) ? r.path.slice(OFFICIAL_PREFIX.length) : r.path;
  const tag = r.tag ?? (r.digest ? undefined : "latest");
  return `${name}${tag !== undefined ? `:${tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}
