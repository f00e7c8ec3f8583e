import { describe, expect, it } from "vitest";
import { progressBar } from "./progress.js";

describe("progressBar", () => {
  it("draws nothing when stderr is not a terminal", () => {
    let out = "";
    const bar = progressBar({ write: (t: string) => (out += t) }, "ingest", 10);
    bar.update(5);
    bar.finish();
    expect(out).toBe("");
  });

  it("draws on a terminal, at most every 100 ms but always the last step, then clears the line", () => {
    let out = "";
    let now = 1_000;
    const bar = progressBar({ write: (t: string) => (out += t), isTTY: true }, "ingest", 4, () => now);
    bar.update(1);
    bar.update(2); // same instant: skipped
    now += 100;
    bar.update(3);
    bar.update(4); // the last step is always drawn
    bar.finish();
    expect(out.split("\r").filter(Boolean)).toEqual([
      `ingest [${"#".repeat(8)}${".".repeat(22)}] 1/4`,
      `ingest [${"#".repeat(23)}${".".repeat(7)}] 3/4`,
      `ingest [${"#".repeat(30)}] 4/4`,
      "\x1b[K",
    ]);
  });
});
