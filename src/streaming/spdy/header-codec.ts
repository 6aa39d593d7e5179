// SPDY/3 header-block compression: one zlib stream per direction for the whole connection (with the
// SPDY/3 dictionary), each block ended with a sync flush. Node's zlib streams keep that shared
// context; calls are serialised so blocks come out in the order they went in.

import zlib from "node:zlib";
import { SPDY3_DICTIONARY } from "./dictionary.js";

class Codec {
  private chain: Promise<unknown> = Promise.resolve();
  private chunks: Buffer[] = [];
  private failed: Error | undefined;
  private rejectPending: ((err: Error) => void) | undefined;

  constructor(private readonly z: zlib.Deflate | zlib.Inflate) {
    z.on("data", (c: Buffer) => this.chunks.push(c));
    z.on("error", (err: Error) => {
      this.failed = err;
      this.rejectPending?.(err);
    });
  }

  run(input: Buffer): Promise<Buffer> {
    const next = this.chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failed) return reject(this.failed);
          this.rejectPending = reject;
          this.chunks = [];
          this.z.write(input);
          this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            // Output of this flush has been pushed by the time the callback runs; let pending
            // 'data' events land before collecting.
            setImmediate(() => {
              this.rejectPending = undefined;
              if (this.failed) return reject(this.failed);
              const out = Buffer.concat(this.chunks);
              this.chunks = [];
              resolve(out);
            });
          });
        }),
    );
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.z.close();
  }
}

export class HeaderCompressor {
  private readonly codec = new Codec(zlib.createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 }));
  compress(block: Buffer): Promise<Buffer> {
    return this.codec.run(block);
  }
  close(): void {
    this.codec.close();
  }
}

export class HeaderDecompressor {
  private readonly codec = new Codec(zlib.createInflate({ dictionary: SPDY3_DICTIONARY }));
  decompress(block: Buffer): Promise<Buffer> {
    return this.codec.run(block);
  }
  close(): void {
    this.codec.close();
  }
}
