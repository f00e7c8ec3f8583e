/**
 * Generates packages/core/src/merkle/sha256x4-wasm.ts: a WebAssembly module that hashes RFC 6962 leaves
 * and interior nodes four at a time, one message per 32-bit lane of WebAssembly's 128-bit SIMD
 * (i32x4). SHA-256 itself (FIPS 180-4) is written once below, unrolled into WAT text, compiled by
 * `wabt` and embedded as base64, so the core keeps no runtime dependency and no build step.
 *
 *   node scripts/generate-sha256x4.ts           # writes the module
 *   node scripts/generate-sha256x4.ts --check   # exit 1 when the file differs from what it would write
 *
 * Exports (memory is the module's own, grown by the caller):
 * - `leaves(n, in, out)`: `n` pre-padded one-block messages (64 bytes each, 0x00 || leaf input || SHA-256
 *   padding) at `in` → `n` digests (32 bytes each, big-endian) at `out`.
 * - `nodes(n, in, out)`: `n` pairs of 32-byte hashes laid out contiguously at `in` (left, right, left,
 *   right…; the byte at `in - 1` must be readable) → `n` digests of 0x01 || left || right at `out`.
 * Both work in groups of four: they read and write up to three messages past `n`, so callers leave
 * room. Results are checked against node:crypto in packages/core/src/merkle/batch-hashing.test.ts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
];
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const i32 = (x: number) => x | 0;
const splat = (x: number) => `(i32x4.splat (i32.const ${i32(x)}))`;
const rotr = (x: string, n: number) =>
  `(v128.or (i32x4.shr_u ${x} (i32.const ${n})) (i32x4.shl ${x} (i32.const ${32 - n})))`;
const ST = ["a", "b", "c", "d", "e", "f", "g", "h"];
// One compression over W0..W15 (locals $w0..$w15), state in $a..$h; adds into $s0..$s7 at the end.
function compress(): string {
  const out = [];
  for (let i = 0; i < 8; i++) out.push(`(local.set $${ST[i]} (local.get $s${i}))`);
  for (let r = 0; r < 64; r++) {
    const w = `$w${r % 16}`;
    if (r >= 16) {
      const w15 = `(local.get $w${(r - 15) % 16})`,
        w2 = `(local.get $w${(r - 2) % 16})`;
      const s0 = `(v128.xor (v128.xor ${rotr(w15, 7)} ${rotr(w15, 18)}) (i32x4.shr_u ${w15} (i32.const 3)))`;
      const s1 = `(v128.xor (v128.xor ${rotr(w2, 17)} ${rotr(w2, 19)}) (i32x4.shr_u ${w2} (i32.const 10)))`;
      out.push(
        `(local.set ${w} (i32x4.add (i32x4.add (local.get ${w}) ${s0}) (i32x4.add (local.get $w${(r - 7) % 16}) ${s1})))`,
      );
    }
    const e = "(local.get $e)",
      a = "(local.get $a)";
    const S1 = `(v128.xor (v128.xor ${rotr(e, 6)} ${rotr(e, 11)}) ${rotr(e, 25)})`;
    const ch = `(v128.bitselect (local.get $f) (local.get $g) ${e})`;
    out.push(
      `(local.set $t1 (i32x4.add (i32x4.add (local.get $h) ${S1}) (i32x4.add ${ch} (i32x4.add (local.get ${w}) ${splat(K[r] as number)}))))`,
    );
    const S0 = `(v128.xor (v128.xor ${rotr(a, 2)} ${rotr(a, 13)}) ${rotr(a, 22)})`;
    const maj = `(v128.bitselect (local.get $c) (local.get $b) (v128.xor ${a} (local.get $b)))`;
    out.push(`(local.set $t2 (i32x4.add ${S0} ${maj}))`);
    out.push(`(local.set $h (local.get $g)) (local.set $g (local.get $f)) (local.set $f (local.get $e))`);
    out.push(`(local.set $e (i32x4.add (local.get $d) (local.get $t1)))`);
    out.push(`(local.set $d (local.get $c)) (local.set $c (local.get $b)) (local.set $b (local.get $a))`);
    out.push(`(local.set $a (i32x4.add (local.get $t1) (local.get $t2)))`);
  }
  for (let i = 0; i < 8; i++)
    out.push(`(local.set $s${i} (i32x4.add (local.get $s${i}) (local.get $${ST[i]})))`);
  return out.join("\n");
}
const BSWAP = "(v128.const i8x16 3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12)";
const bswap = (x: string) => `(i8x16.swizzle ${x} ${BSWAP})`;
// A vector of the 32-bit words at base + k*stride + off for lanes k = 0..3.
const gather = (stride: number, off: number) =>
  [0, 1, 2, 3].reduce(
    (acc, k) => `(v128.load32_lane offset=${off + k * stride} ${k} (local.get $p) ${acc})`,
    "(v128.const i32x4 0 0 0 0)",
  );
const locals =
  [..."abcdefgh"].map((x) => `(local $${x} v128)`).join(" ") +
  " " +
  Array.from({ length: 8 }, (_, i) => `(local $s${i} v128)`).join(" ") +
  " " +
  Array.from({ length: 16 }, (_, i) => `(local $w${i} v128)`).join(" ") +
  " (local $t1 v128) (local $t2 v128) (local $p i32) (local $q i32) (local $end i32)";
const initState = IV.map((v, i) => `(local.set $s${i} ${splat(v)})`).join(" ");
const store = (stride: number) =>
  Array.from({ length: 8 }, (_, i) =>
    [0, 1, 2, 3]
      .map((k) => `(v128.store32_lane offset=${k * stride + i * 4} ${k} (local.get $q) (local.get $bs${i}))`)
      .join(" "),
  ).join("\n");
const storeDigest =
  Array.from({ length: 8 }, (_, i) => `(local.set $bs${i} ${bswap(`(local.get $s${i})`)})`).join(" ") +
  "\n" +
  store(32);
const bsLocals = Array.from({ length: 8 }, (_, i) => `(local $bs${i} v128)`).join(" ");

// leaves: n (multiple of 4) pre-padded 64-byte blocks at $in -> n digests at $out.
const leaves = `(func (export "leaves") (param $n i32) (param $in i32) (param $out i32) ${locals} ${bsLocals}
  (local.set $p (local.get $in)) (local.set $q (local.get $out))
  (local.set $end (i32.add (local.get $in) (i32.shl (local.get $n) (i32.const 6))))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
    ${initState}
    ${Array.from({ length: 16 }, (_, j) => `(local.set $w${j} ${bswap(gather(64, 4 * j))})`).join("\n")}
    ${compress()}
    ${storeDigest}
    (local.set $p (i32.add (local.get $p) (i32.const 256))) (local.set $q (i32.add (local.get $q) (i32.const 128)))
    (br $next)))
)`;
// nodes: n (multiple of 4) pairs of 32-byte hashes, contiguous at $in (byte $in - 1 readable) -> n digests at $out.
const nodes = `(func (export "nodes") (param $n i32) (param $in i32) (param $out i32) ${locals} ${bsLocals}
  (local.set $p (i32.sub (local.get $in) (i32.const 1))) (local.set $q (local.get $out))
  (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 6))))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
    ${initState}
    ;; block 1: 0x01 || left || right[0..31): the words start one byte before each pair
    ${Array.from({ length: 16 }, (_, j) => `(local.set $w${j} ${bswap(gather(64, 4 * j))})`).join("\n")}
    (local.set $w0 (v128.or (v128.and (local.get $w0) ${splat(0x00ffffff)}) ${splat(0x01000000)}))
    ${compress()}
    ;; block 2: right[31] || 0x80 || zeros || bit length 520
    (local.set $w0 (v128.or (v128.and ${gather(64, 61)} ${splat(0xff000000)}) ${splat(0x00800000)}))
    ${Array.from({ length: 14 }, (_, j) => `(local.set $w${j + 1} (v128.const i32x4 0 0 0 0))`).join(" ")}
    (local.set $w15 ${splat(520)})
    ${compress()}
    ${storeDigest}
    (local.set $p (i32.add (local.get $p) (i32.const 256))) (local.set $q (i32.add (local.get $q) (i32.const 128)))
    (br $next)))
)`;
const wat = `(module (memory (export "memory") 1)\n${leaves}\n${nodes}\n)\n`;

const wabt = await wabtInit();
const binary = wabt.parseWat("sha256x4.wat", wat, { simd: true }).toBinary({}).buffer;
const base64 = Buffer.from(binary).toString("base64");
const lines = base64.match(/.{1,100}/g) ?? [];
const out = `// Generated by scripts/generate-sha256x4.ts: do not edit. ${binary.length} bytes of WebAssembly (SIMD).
/** The 4-lane SHA-256 module for RFC 6962 leaf and node hashes, base64 (see scripts/generate-sha256x4.ts). */
export const SHA256X4_WASM_BASE64 =
${lines.map((l) => `  "${l}"`).join(" +\n")};
`;
const target = fileURLToPath(new URL("../packages/core/src/merkle/sha256x4-wasm.ts", import.meta.url));
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {}
  if (current !== out) {
    console.error(`${target} is not what scripts/generate-sha256x4.ts writes: run it and commit the result`);
    process.exit(1);
  }
} else {
  writeFileSync(target, out);
  console.log(`wrote ${target} (${binary.length} bytes of WebAssembly)`);
}
