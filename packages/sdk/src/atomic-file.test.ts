/** The all-or-nothing file writer: complete file under the final name, or the previous state and no temporary file. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomically } from "./atomic-file.js";
import { ExportFileError } from "./errors.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ancora-atomic-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("writeFileAtomically", () => {
  it("writes every chunk and reports the bytes on disk, leaving no temporary file", async () => {
    const path = join(dir, "pack.md");
    const chunks = Array.from({ length: 300 }, (_, i) => `line ${i} ${"é".repeat(i % 7)}\n`);
    const { result, bytes } = await writeFileAtomically(path, async (out) => {
      for (const chunk of chunks) out.write(chunk);
      return "done";
    });
    expect(result).toBe("done");
    expect(readFileSync(path, "utf8")).toBe(chunks.join(""));
    expect(bytes).toBe(statSync(path).size);
    expect(bytes).toBe(Buffer.byteLength(chunks.join("")));
    expect(readdirSync(dir)).toEqual(["pack.md"]);
  });

  it("leaves the previous file as it was when the content fails part-way", async () => {
    const path = join(dir, "pack.md");
    writeFileSync(path, "the previous pack\n");
    const failing = writeFileAtomically(path, async (out) => {
      out.write("half of a new pack");
      throw new Error("the export failed");
    });
    await expect(failing).rejects.toThrow("the export failed");
    expect(readFileSync(path, "utf8")).toBe("the previous pack\n");
    expect(readdirSync(dir)).toEqual(["pack.md"]);
  });

  it("fails with EXPORT_FILE_UNWRITABLE when the directory does not exist", async () => {
    const path = join(dir, "missing", "pack.md");
    const failing = writeFileAtomically(path, async (out) => {
      out.write("x");
    });
    await expect(failing).rejects.toBeInstanceOf(ExportFileError);
    await expect(failing).rejects.toMatchObject({
      code: "EXPORT_FILE_UNWRITABLE",
      evidence: { file: "pack.md", code: "ENOENT" },
      hint: expect.stringContaining("directory"),
    });
  });
});
