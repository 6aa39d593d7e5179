// The container's argv by Kubernetes' rules: `command` replaces the image's entrypoint and drops
// its cmd; `args` replace the cmd; $(VAR) in command and args expands from the container's env
// (its own resolved variables, not the image's), `$$` escaping a `$`.

import type { Container } from "kubernetes-types/core/v1.js";
import { expandVars, lookupIn } from "../env/expand.js";
import type { ImageRecord } from "./image-record.js";

export type EnvInput = ReadonlyArray<readonly [string, string]> | readonly string[] | Readonly<Record<string, string>>;

function toMap(env: EnvInput | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (!env) return m;
  if (Array.isArray(env)) {
    for (const e of env as ReadonlyArray<string | readonly [string, string]>) {
      if (typeof e === "string") {
        const i = e.indexOf("=");
        if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
      } else {
        m.set(e[0], e[1]);
      }
    }
  } else {
    for (const [k, v] of Object.entries(env)) m.set(k, v);
  }
  return m;
}

export function containerArgs(container: Container, image: ImageRecord, env?: EnvInput): string[] {
  const lookup = lookupIn(toMap(env));
  const expand = (list: readonly string[] | undefined): string[] => (list ?? []).map((s) => expandVars(s, lookup));
  const command = container.command?.length ? expand(container.command) : undefined;
  const args = container.args?.length ? expand(container.args) : undefined;
  if (command) return [...command, ...(args ?? [])];
  return [...(image.config.entrypoint ?? []), ...(args ?? image.config.cmd ?? [])];
}
