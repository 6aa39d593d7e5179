// hostPath volumes: the type checks and creations of pkg/volume/hostpath (paths are the node
// container's), with Kubernetes' messages.

import { chmod, mkdir, stat, writeFile } from "node:fs/promises";

export type HostPathType = "" | "DirectoryOrCreate" | "Directory" | "FileOrCreate" | "File" | "Socket" | "CharDevice" | "BlockDevice";

async function statOrUndefined(p: string) {
  return stat(p).catch(() => undefined);
}

/** Checks (and for *OrCreate creates) the host path; throws with Kubernetes' message. */
export async function checkHostPath(path: string, type: string | undefined): Promise<void> {
  const t = (type ?? "") as HostPathType;
  switch (t) {
    case "":
      return;
    case "DirectoryOrCreate": {
      const st = await statOrUndefined(path);
      if (!st) {
        await mkdir(path, { recursive: true, mode: 0o755 });
        return;
      }
      if (!st.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a directory`);
      return;
    }
    case "FileOrCreate": {
      const st = await statOrUndefined(path);
      if (!st) {
        // Like the kubelet: the parent directory must exist.
        try {
          await writeFile(path, "", { flag: "wx", mode: 0o644 });
          await chmod(path, 0o644);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new Error(`hostPath type check failed: ${path}: ${(err as Error).message}`, { cause: err });
        }
        return;
      }
      if (st.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a file`);
      return;
    }
    case "Directory": {
      const st = await statOrUndefined(path);
      if (!st?.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a directory`);
      return;
    }
    case "File": {
      const st = await statOrUndefined(path);
      if (!st || st.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a file`);
      return;
    }
    case "Socket": {
      const st = await statOrUndefined(path);
      if (!st?.isSocket()) throw new Error(`hostPath type check failed: ${path} is not a socket file`);
      return;
    }
    case "CharDevice": {
      const st = await statOrUndefined(path);
      if (!st?.isCharacterDevice()) throw new Error(`hostPath type check failed: ${path} is not a character device`);
      return;
    }
    case "BlockDevice": {
      const st = await statOrUndefined(path);
      if (!st?.isBlockDevice()) throw new Error(`hostPath type check failed: ${path} is not a block device`);
      return;
    }
    default:
      throw new Error(`hostPath type check failed: unknown type ${String(type)}`);
  }
}

