// Waiting for a new cluster: first for the API server to answer /readyz, then for its nodes to
// report Ready. Both poll with the admin credential over the published port.
import { Agent, request } from "undici";
import type { CertAndKey } from "../../controlplane/pki/index.js";

export interface ApiAccess {
  server: string;
  ca: string;
  client: CertAndKey;
}

interface NodeList {
  items?: Array<{ metadata?: { name?: string }; status?: { conditions?: Array<{ type?: string; status?: string }> } }>;
}

export class ApiPoller {
  private readonly agent: Agent;

  constructor(private readonly access: ApiAccess) {
    this.agent = new Agent({
      connect: { ca: access.ca, cert: access.client.cert, key: access.client.key, timeout: 2_000 },
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async getJson(path: string): Promise<{ status: number; body: unknown }> {
    const res = await request(`${this.access.server}${path}`, { dispatcher: this.agent, headers: { accept: "application/json" } });
    const text = await res.body.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // /readyz answers plain text
    }
    return { status: res.statusCode, body };
  }

  async ready(): Promise<boolean> {
    try {
      return (await this.getJson("/readyz")).status === 200;
    } catch {
      return false;
    }
  }

  /** Names of the nodes whose Ready condition is True, or undefined when the API did not answer. */
  async readyNodes(): Promise<string[] | undefined> {
    try {
      const { status, body } = await this.getJson("/api/v1/nodes");
      if (status !== 200) return undefined;
      return ((body as NodeList).items ?? [])
        .filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
        .map((n) => n.metadata?.name ?? "");
    } catch {
      return undefined;
    }
  }
}

/** Polls `check` until it returns a value other than undefined, or fails with `timeoutMessage()`. */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  deadline: number,
  timeoutMessage: () => string,
  intervalMs = 100,
): Promise<T> {
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) throw new Error(timeoutMessage());
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
