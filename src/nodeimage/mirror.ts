// Which Debian mirror to debootstrap from: the one the host's apt already uses (so the build works
// wherever apt works, including behind a local mirror or snapshot), else deb.debian.org.

import fs from "node:fs";
import path from "node:path";

export const DEFAULT_DEBIAN_MIRROR = "http://deb.debian.org/debian";

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
  /** The keyring named by signed-by / Signed-By, when it is a file path. */
  signedBy?: string;
}

/** Parses one-line `.list` text (`deb [opts] URI SUITE COMPONENT...`); deb-src and comments are skipped. */
export function parseOneLineSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line.startsWith("deb ") && !line.startsWith("deb\t")) continue;
    let rest = line.slice(3).trim();
    let signedBy: string | undefined;
    if (rest.startsWith("[")) {
      const end = rest.indexOf("]");
      if (end < 0) continue;
      for (const opt of rest.slice(1, end).trim().split(/\s+/)) {
        const m = /^signed-by=(.+)$/.exec(opt);
        if (m) signedBy = m[1];
      }
      rest = rest.slice(end + 1).trim();
    }
    const [uri, suite, ...components] = rest.split(/\s+/);
    if (!uri || !suite) continue;
    out.push({ uri, suites: [suite], components, ...(signedBy ? { signedBy } : {}) });
  }
  return out;
}

/** Parses deb822 `.sources` text (stanzas of `Field: value` separated by blank lines). */
export function parseDeb822Sources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const raw of stanza.split("\n")) {
      if (raw.startsWith("#")) continue;
      if (/^[ \t]/.test(raw) && last) {
        // Continuation line (multi-line fields such as an inline Signed-By key).
        fields.set(last, `${fields.get(last)}\n${raw.trim()}`);
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(raw);
      if (!m) continue;
      last = m[1].toLowerCase();
      fields.set(last, m[2].trim());
    }
    const types = (fields.get("types") ?? "").split(/\s+/);
    if (!types.includes("deb")) continue;
    if (/^(no|false|0)$/i.test(fields.get("enabled") ?? "yes")) continue;
    const words = (k: string) => (fields.get(k) ?? "").split(/\s+/).filter(Boolean);
    const signed = fields.get("signed-by");
    const signedBy = signed && !signed.includes("\n") && signed.startsWith("/") ? signed : undefined;
    for (const uri of words("uris")) {
      out.push({ uri, suites: words("suites"), components: words("components"), ...(signedBy ? { signedBy } : {}) });
    }
  }
  return out;
}

export interface DebianMirror {
  uri: string;
  keyring?: string;
}

/**
 * Picks the Debian archive among apt sources: an http(s)/file URI carrying `main` for a plain
 * release suite (not -security/-updates/-backports), preferring one whose path ends in /debian.
 * Third-party repositories (nodesource, cloud SDKs, ...) have neither and are skipped.
 */
export function pickDebianMirror(sources: AptSource[]): DebianMirror | undefined {
  let best: { score: number; src: AptSource } | undefined;
  for (const src of sources) {
    if (!/^(https?|file):/.test(src.uri)) continue;
    if (!src.components.includes("main")) continue;
    if (/security/i.test(src.uri)) continue;
    if (!src.suites.some((s) => /^[a-z]+$/.test(s))) continue;
    let score = 1;
    if (/\/debian\/?$/.test(src.uri)) score += 2;
    if (src.signedBy?.includes("debian-archive")) score += 1;
    if (!best || score > best.score) best = { score, src };
  }
  if (!best || best.score < 2) return undefined;
  const uri = best.src.uri.replace(/\/+$/, "");
  return { uri, ...(best.src.signedBy ? { keyring: best.src.signedBy } : {}) };
}

/** Reads the host's apt sources (sources.list, sources.list.d/*.list and *.sources). */
export function readHostAptSources(etcApt = "/etc/apt"): AptSource[] {
  const out: AptSource[] = [];
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, "utf8");
    } catch {
      return undefined;
    }
  };
  const main = read(path.join(etcApt, "sources.list"));
  if (main) out.push(...parseOneLineSources(main));
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(path.join(etcApt, "sources.list.d")).sort();
  } catch {
    // no sources.list.d
  }
  for (const name of entries) {
    const text = read(path.join(etcApt, "sources.list.d", name));
    if (text === undefined) continue;
    if (name.endsWith(".list")) out.push(...parseOneLineSources(text));
    else if (name.endsWith(".sources")) out.push(...parseDeb822Sources(text));
  }
  return out;
}

/** The mirror to use: $MINICLUSTER_DEBIAN_MIRROR, else the host's apt Debian mirror, else deb.debian.org. */
export function hostDebianMirror(env: NodeJS.ProcessEnv = process.env, etcApt = "/etc/apt"): DebianMirror {
  const forced = env.MINICLUSTER_DEBIAN_MIRROR;
  if (forced) return { uri: forced.replace(/\/+$/, "") };
  const picked = pickDebianMirror(readHostAptSources(etcApt));
  if (picked?.keyring && !fs.existsSync(picked.keyring)) delete picked.keyring;
  return picked ?? { uri: DEFAULT_DEBIAN_MIRROR };
}
