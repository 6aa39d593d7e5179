// A fake RestClient.get over fixed objects, for the env and volume tests (404 as the API sends it).
import type { RestClient } from "../../client/rest.js";
import { ApiError } from "../../client/api-error.js";

export function fakeClient(objects: Record<string, unknown>): Pick<RestClient, "get"> & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    get: <T>(r: { plural: string }, name: string, opts: { namespace?: string } = {}): Promise<T> => {
      const key = `${r.plural}/${opts.namespace ? opts.namespace + "/" : ""}${name}`;
      calls.push(key);
      if (key in objects) return Promise.resolve(structuredClone(objects[key]) as T);
      return Promise.reject(
        new ApiError({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", code: 404, reason: "NotFound", message: `${r.plural} "${name}" not found` }),
      );
    },
  } as Pick<RestClient, "get"> & { calls: string[] };
}
