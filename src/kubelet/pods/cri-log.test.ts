import { describe, expect, it } from "vitest";
import { CriLineSplitter, rfc3339Nano } from "./cri-log.js";

function collect(max?: number) {
  const out: string[] = [];
  const s = new CriLineSplitter("stdout", (r) => out.push(r.toString()), () => "T", max);
  return { s, out };
}

describe("CriLineSplitter", () => {
  it("writes one final record per line, joining lines split across chunks", () => {
    const { s, out } = collect();
    s.push(Buffer.from("hello\nwor"));
    s.push(Buffer.from("ld\n\nlast"));
    expect(out).toEqual(["T stdout F hello\n", "T stdout F world\n", "T stdout F \n"]);
    s.end();
    expect(out.at(-1)).toBe("T stdout F last\n");
  });

  it("cuts long lines into partial records", () => {
    const { s, out } = collect(4);
    s.push(Buffer.from("abcdefghij\nxy"));
    s.end();
    expect(out).toEqual(["T stdout P abcd\n", "T stdout P efgh\n", "T stdout F ij\n", "T stdout F xy\n"]);
  });

  it("writes nothing at the end when the last line was complete", () => {
    const { s, out } = collect();
    s.push(Buffer.from("a\n"));
    s.end();
    expect(out).toEqual(["T stdout F a\n"]);
  });
});

describe("rfc3339Nano", () => {
  it("has nine fraction digits", () => {
    expect(rfc3339Nano(new Date("2024-05-06T07:08:09.123Z"), 4567)).toBe("2024-05-06T07:08:09.123004567Z");
  });
});
