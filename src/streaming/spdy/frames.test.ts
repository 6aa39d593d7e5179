import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { SPDY3_DICTIONARY } from "./dictionary.js";
import {
  FLAG_FIN,
  FrameReader,
  FrameType,
  decodeHeaderBlock,
  encodeData,
  encodeGoAway,
  encodeHeaderBlock,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  encodeSynStream,
  parseStreamHeaders,
  parseSynStream,
  parseWords,
} from "./frames.js";
import { HeaderCompressor, HeaderDecompressor } from "./header-codec.js";

describe("SPDY/3 dictionary", () => {
  it("has the spec's length and Adler-32 (the id zlib puts in the stream header)", () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    // zlib writes the dictionary's Adler-32 after a FDICT header: read it back from a tiny stream.
    const z = zlib.deflateSync(Buffer.from("x"), { dictionary: SPDY3_DICTIONARY });
    expect(z[1] & 0x20).toBe(0x20);
    expect(z.readUInt32BE(2)).toBe(3821447106);
  });
});

describe("SPDY frames", () => {
  it("encodes control and data frames with the wire layout", () => {
    const ping = encodePing(7);
    expect([...ping]).toEqual([0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 7]);
    const data = encodeData(5, Buffer.from("hi"), true);
    expect([...data]).toEqual([0, 0, 0, 5, FLAG_FIN, 0, 0, 2, 0x68, 0x69]);
  });

  it("reads frames split at any byte boundary", () => {
    const wire = Buffer.concat([
      encodeSynStream(1, 0, 3, 0, Buffer.from("hdrs")),
      encodeData(1, Buffer.from("payload"), false),
      encodeSynReply(1, FLAG_FIN, Buffer.from("r")),
      encodeRstStream(3, 5),
      encodeGoAway(9, 0),
    ]);
    for (const step of [1, 3, 7, wire.length]) {
      const r = new FrameReader();
      const frames = [];
      for (let i = 0; i < wire.length; i += step) frames.push(...r.push(wire.subarray(i, i + step)));
      expect(r.pending).toBe(0);
      expect(frames).toHaveLength(5);
      const [syn, dat, rep, rst, ga] = frames;
      expect(syn.control && syn.type).toBe(FrameType.SynStream);
      if (!syn.control) throw new Error("expected control");
      expect(parseSynStream(syn.payload)).toEqual({ streamId: 1, associatedId: 0, priority: 3, headerBlock: Buffer.from("hdrs") });
      expect(dat).toEqual({ control: false, streamId: 1, flags: 0, data: Buffer.from("payload") });
      if (!rep.control) throw new Error("expected control");
      expect(rep.flags).toBe(FLAG_FIN);
      expect(parseStreamHeaders(rep.payload)).toEqual({ streamId: 1, headerBlock: Buffer.from("r") });
      if (!rst.control || !ga.control) throw new Error("expected control");
      expect(parseWords(rst.payload)).toEqual([3, 5]);
      expect(ga.type).toBe(FrameType.GoAway);
    }
  });

  it("round-trips header blocks, lower-casing names and splitting NUL-joined values", () => {
    const block = encodeHeaderBlock({ StreamType: "error", port: "8080", multi: ["a", "b"] });
    const h = decodeHeaderBlock(block);
    expect(h.get("streamtype")).toEqual(["error"]);
    expect(h.get("port")).toEqual(["8080"]);
    expect(h.get("multi")).toEqual(["a", "b"]);
    expect(() => decodeHeaderBlock(block.subarray(0, block.length - 2))).toThrow(/truncated/);
  });

  it("compresses header blocks with one shared zlib context per direction", async () => {
    const c = new HeaderCompressor();
    const d = new HeaderDecompressor();
    const blocks = [1, 2, 3].map((i) => encodeHeaderBlock({ streamtype: "data", port: "80", requestid: String(i) }));
    const compressed = await Promise.all(blocks.map((b) => c.compress(b)));
    // Later blocks reuse the window of earlier ones: the third is smaller than the first.
    expect(compressed[2].length).toBeLessThan(compressed[0].length);
    for (let i = 0; i < 3; i++) expect(await d.decompress(compressed[i])).toEqual(blocks[i]);
    // A fresh context cannot read the second block alone: the context really is shared.
    const fresh = new HeaderDecompressor();
    await expect(fresh.decompress(compressed[1])).rejects.toThrow();
    c.close();
    d.close();
    fresh.close();
  });
});
