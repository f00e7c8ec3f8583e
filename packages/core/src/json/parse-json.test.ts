import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { parseJson, parseJsonWithoutEngine } from "./parse-json.js";

const RUNS = process.env.CI === "true" ? 3000 : 300;

/** Keys and strings rich in what JSON escapes: quotes, backslashes, control characters, surrogates. */
const textArb = fc.string({
  unit: fc.oneof(
    fc.constantFrom("a", "b", "\\", '"', "\n", "\t", "\u0000", "\u001f", "/", "\u2028", "é", "😀", "\ud800"),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  ),
  maxLength: 6,
});

/** Short keys from a small alphabet, so that keys share prefixes as the engine's defect needs. */
const keyArb = fc.string({
  unit: fc.constantFrom("a", "\\", '"', "\n", "\u001f", "\u0000", "é", "😀"),
  maxLength: 3,
});

const { value: jsonArb } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
    textArb,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(keyArb, textArb), tie("value"), { maxKeys: 5 }),
  ),
}));

/**
 * Parses texts whose objects have escaped keys with the engine, so that its hidden-class transitions
 * hold such keys: the state in which V8's JSON.parse (Node 24) returns wrong keys.
 */
function poisonEngine(): void {
  for (const key of ["\\", "a\\", "\\\\", '"', "\n", "é\\", "😀\\"]) {
    JSON.parse(JSON.stringify({ [key]: 1 }));
    JSON.parse(JSON.stringify({ a: 1, [key]: [] }));
    JSON.parse(JSON.stringify({ "": "", "\u0000": "", [key]: {} }));
  }
}

describe("parseJson", () => {
  test("keys with escapes come back exactly, whatever the engine parsed before", () => {
    poisonEngine();
    const read = (text: string) => Object.keys(parseJson(text) as object);
    expect(read(String.raw`{"a":1,"\u001f":1}`)).toEqual(["a", "\u001f"]);
    expect(read(String.raw`{"\n":1}`)).toEqual(["\n"]);
    expect(read(String.raw`{"h":1,"\"":2}`)).toEqual(["h", '"']);
    expect(read(String.raw`{"":"3","\u0000":"","\u001f":"0"}`)).toEqual(["", "\u0000", "\u001f"]);
  });

  test("property: parseJson(JSON.stringify(v)) equals v, after the engine has seen escaped keys", () => {
    poisonEngine();
    fc.assert(
      // A run parses many values in turn: each parse leaves the engine's transitions for the next.
      fc.property(fc.array(jsonArb, { minLength: 10, maxLength: 40 }), (values) => {
        for (const value of values) expect(parseJson(JSON.stringify(value))).toEqual(value);
      }),
      { numRuns: RUNS },
    );
  });

  test("property: the same value or a SyntaxError as JSON.parse on texts without escaped keys", () => {
    // Valid texts with optional whitespace, and arbitrary edits of them: the parser must accept
    // exactly what JSON.parse accepts, with the same value (keys without escapes are read right by
    // the engine, so it is the reference here).
    const plainKeys = fc.string({ unit: fc.constantFrom("a", "b", "_", "0", "1", "é"), maxLength: 4 });
    const { value: plainArb } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.boolean(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        textArb,
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(plainKeys, tie("value"), { maxKeys: 4 }),
      ),
    }));
    const edit = fc.tuple(
      fc.nat(),
      fc.constantFrom(
        "",
        " ",
        "\n",
        "\t",
        "\r",
        "\u00a0",
        ",",
        ":",
        "{",
        "}",
        "[",
        "]",
        '"',
        "\\",
        "0",
        "-",
        ".",
        "e",
        "+",
        "x",
        "\u0000",
        "\ufeff",
      ),
    );
    fc.assert(
      fc.property(plainArb, fc.nat({ max: 3 }), fc.array(edit, { maxLength: 2 }), (value, indent, edits) => {
        let text = JSON.stringify(value, null, indent) ?? "null";
        for (const [at, insert] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + insert + text.slice(i + (insert === "" ? 1 : 0));
        }
        let expected: { value: unknown } | "SyntaxError";
        try {
          expected = { value: JSON.parse(text) };
        } catch (error) {
          expect(error).toBeInstanceOf(SyntaxError);
          expected = "SyntaxError";
        }
        let actual: { value: unknown } | "SyntaxError";
        try {
          actual = { value: parseJsonWithoutEngine(text) };
        } catch (error) {
          expect(error).toBeInstanceOf(SyntaxError);
          actual = "SyntaxError";
        }
        expect(actual).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });

  test("numbers, duplicates and __proto__ as JSON.parse has them", () => {
    const text = String.raw`{"__proto__":{"x":1},"k":1,"k":2,"n":[-0,1e400,-1e-400,12345678901234567890,0.1e1],"s":"\ud83d\ude00\ud800"}`;
    const ours = parseJsonWithoutEngine(text) as Record<string, unknown>;
    const engine = JSON.parse(text) as Record<string, unknown>;
    expect(ours).toEqual(engine);
    expect(Object.keys(ours)).toEqual(["__proto__", "k", "n", "s"]);
    expect(Object.getPrototypeOf(ours)).toBe(Object.prototype);
    expect(Object.is((ours.n as number[])[0], -0)).toBe(true);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  test("any depth without recursion, and errors that never quote the text", () => {
    const depth = 200_000;
    const deep = `${"[".repeat(depth)}"\\n"${"]".repeat(depth)}`;
    let value = parseJson(deep);
    for (let i = 0; i < depth; i++) value = (value as unknown[])[0];
    expect(value).toBe("\n");
    const secret = "jane.doe@example.org";
    expect(() => parseJson(`{"\\n":"${secret}"`)).toThrow(SyntaxError);
    const bad = `{"\\n":"${secret}" x}`;
    let caught: unknown;
    try {
      parseJson(bad);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SyntaxError);
    expect(String(caught)).not.toContain(secret);
    expect(String(caught)).toContain(`position ${bad.lastIndexOf("x")}`);
  });
});
