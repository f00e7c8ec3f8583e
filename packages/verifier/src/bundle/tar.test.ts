/** The ustar subset of evidence bundles: what the writer emits, GNU tar reads; what the reader takes, it checks. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TarFormatError } from "../errors.js";
import { readTar, TAR_END, tarHeader, tarPadding } from "./tar.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ancora-tar-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function archive(files: [string, string][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, text] of files) {
    const bytes = new TextEncoder().encode(text);
    parts.push(tarHeader(name, bytes.length, 1_764_547_200), bytes, tarPadding(bytes.length));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}

const FILES: [string, string][] = [
  ["evidence-pack/a.txt", "hello\n"],
  ["evidence-pack/empty", ""],
  ["evidence-pack/block.bin", "x".repeat(512)],
  ["evidence-pack/sub/é.json", `{"k":"${"v".repeat(700)}"}`],
];

describe("tar", () => {
  it("writes archives GNU tar lists and extracts byte for byte, and reads them back", () => {
    const bytes = archive(FILES);
    expect(bytes.length % 512).toBe(0);
    const file = join(dir, "a.tar");
    writeFileSync(file, bytes);
    const listed = execFileSync("tar", ["-tf", file], { encoding: "utf8" }).trim().split("\n");
    expect(listed).toEqual(FILES.map(([n]) => n));
    execFileSync("tar", ["-xf", file, "-C", dir]);
    for (const [name, text] of FILES) expect(readFileSync(join(dir, name), "utf8")).toBe(text);
    const read = readTar(bytes);
    expect([...read.keys()]).toEqual(FILES.map(([n]) => n));
    for (const [name, text] of FILES) expect(new TextDecoder().decode(read.get(name))).toBe(text);
  });

  it("reads an archive GNU tar wrote in ustar format", () => {
    writeFileSync(join(dir, "one.txt"), "from GNU tar\n");
    execFileSync("tar", ["--format=ustar", "-cf", join(dir, "g.tar"), "-C", dir, "one.txt"]);
    const read = readTar(new Uint8Array(readFileSync(join(dir, "g.tar"))));
    expect(new TextDecoder().decode(read.get("one.txt"))).toBe("from GNU tar\n");
  });

  it.each([
    ["a flipped header byte (checksum)", (b: Uint8Array) => (b[10] = (b[10] as number) ^ 1), /checksum/],
    ["a flipped size digit (checksum)", (b: Uint8Array) => (b[130] = 0x37), /checksum/],
    ["a missing end", (b: Uint8Array) => b.fill(0xff, b.length - 1024), /checksum|octal/],
  ])("refuses %s", (_name, mutate, message) => {
    const bytes = archive(FILES);
    mutate(bytes);
    expect(() => readTar(bytes)).toThrow(TarFormatError);
    expect(() => readTar(bytes)).toThrow(message);
  });

  it("refuses truncation, links, `..` names and duplicates", () => {
    const bytes = archive(FILES);
    expect(() => readTar(bytes.subarray(0, 1024))).toThrow(/truncated|end blocks/);
    expect(() => readTar(bytes.subarray(0, 512 * 3))).toThrow(TarFormatError);
    expect(() => tarHeader("../x", 1, 0)).toThrow(TarFormatError);
    expect(() => tarHeader("/etc/x", 1, 0)).toThrow(TarFormatError);
    expect(() => readTar(archive([FILES[0] as [string, string], FILES[0] as [string, string]]))).toThrow(
      /twice/,
    );
    // A symbolic link: type '2', checksum recomputed so that only the type is wrong.
    const link = tarHeader("evidence-pack/link", 0, 0);
    link[156] = 0x32;
    link.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of link) sum += b;
    link.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
    expect(() => readTar(Buffer.concat([link, TAR_END]))).toThrow(/regular file/);
  });
});
