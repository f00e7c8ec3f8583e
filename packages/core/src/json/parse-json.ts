/**
 * `JSON.parse` with object keys always decoded right.
 *
 * V8's `JSON.parse` (Node 24 and 26; nodejs/node#63785, crbug 521080746) can return the wrong key for
 * an object key that contains an escape (`"\n"`, `"\u001f"`, `"a\""`): when the engine finds a hidden
 * class transition from an earlier object whose key has the same raw prefix, it reuses that key, so
 * `{"\n":1}` parsed after `{"\\":1}` comes back as `{"\\":1}`. Which texts are affected depends on what
 * the process parsed before, so the failure is silent and looks random. For a log whose records must
 * say exactly on which inputs a model decided, a changed feature name is a wrong record.
 *
 * Texts without a backslash cannot trigger it and go to `JSON.parse`. The others go to the parser
 * below, which gives exactly `JSON.parse`'s values: doubles by `Number`, the last of duplicate keys,
 * `"__proto__"` as an own property, any nesting depth (no recursion), `SyntaxError` on invalid JSON
 * (naming the position, never quoting the text, which may hold personal data).
 */

/**
 * Parses JSON text as `JSON.parse` does, without the engine's escaped-key defect.
 *
 * @example
 * ```ts
 * Object.keys(parseJson('{"\\n":1}')); // ["\n"], whatever was parsed before
 * ```
 */
export function parseJson(text: string): unknown {
  if (text.indexOf("\\") === -1) return JSON.parse(text);
  return parseJsonWithoutEngine(text);
}

interface ArrayFrame {
  array: unknown[];
}
interface ObjectFrame {
  object: Record<string, unknown>;
  key: string;
}
type Frame = ArrayFrame | ObjectFrame;

/** A number as JSON spells it (RFC 8259 §6). */
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/**
 * The same values as `JSON.parse` for any text, read without the engine's JSON parser. Exported for
 * the differential tests; callers use {@link parseJson}.
 */
export function parseJsonWithoutEngine(text: string): unknown {
  const length = text.length;
  let at = 0;

  const fail = (what: string): never => {
    throw new SyntaxError(`${what} in JSON at position ${at}`);
  };
  const skipSpace = (): void => {
    for (;;) {
      const c = text.charCodeAt(at);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) at++;
      else return;
    }
  };
  const readString = (): string => {
    // at is on the opening quote.
    at++;
    let out = "";
    let from = at;
    for (;;) {
      if (at >= length) fail("Unterminated string");
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        out += text.slice(from, at);
        at++;
        return out;
      }
      if (c < 0x20) fail("Bad control character in string literal");
      if (c !== 0x5c) {
        at++;
        continue;
      }
      out += text.slice(from, at);
      const e = text.charCodeAt(at + 1);
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += "\\";
          break;
        case 0x2f:
          out += "/";
          break;
        case 0x62:
          out += "\b";
          break;
        case 0x66:
          out += "\f";
          break;
        case 0x6e:
          out += "\n";
          break;
        case 0x72:
          out += "\r";
          break;
        case 0x74:
          out += "\t";
          break;
        case 0x75: {
          const hex = text.slice(at + 2, at + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            at++;
            fail("Bad Unicode escape");
          }
          out += String.fromCharCode(Number.parseInt(hex, 16));
          at += 4;
          break;
        }
        default:
          at++;
          fail("Bad escaped character");
      }
      at += 2;
      from = at;
    }
  };
  const readKey = (): string => {
    skipSpace();
    if (text.charCodeAt(at) !== 0x22) fail("Expected a property name");
    const key = readString();
    skipSpace();
    if (text.charCodeAt(at) !== 0x3a) fail("Expected ':' after a property name");
    at++;
    skipSpace();
    return key;
  };
  const readLiteral = (word: string, value: unknown): unknown => {
    if (text.startsWith(word, at)) {
      at += word.length;
      return value;
    }
    return fail("Unexpected token");
  };
  const readScalar = (): unknown => {
    const c = text.charCodeAt(at);
    if (c === 0x22) return readString();
    if (c === 0x74) return readLiteral("true", true);
    if (c === 0x66) return readLiteral("false", false);
    if (c === 0x6e) return readLiteral("null", null);
    NUMBER.lastIndex = at;
    const match = NUMBER.exec(text);
    if (match === null) return fail(at >= length ? "Unexpected end" : "Unexpected token");
    at += match[0].length;
    return Number(match[0]);
  };

  const stack: Frame[] = [];
  skipSpace();
  for (;;) {
    // A value starts here: a container opens a frame, a scalar completes at once.
    let value: unknown;
    const c = text.charCodeAt(at);
    if (c === 0x7b) {
      at++;
      skipSpace();
      if (text.charCodeAt(at) === 0x7d) {
        at++;
        value = {};
      } else {
        stack.push({ object: {}, key: readKey() });
        continue;
      }
    } else if (c === 0x5b) {
      at++;
      skipSpace();
      if (text.charCodeAt(at) === 0x5d) {
        at++;
        value = [];
      } else {
        stack.push({ array: [] });
        continue;
      }
    } else {
      value = readScalar();
    }
    // The value is complete: store it in its container, then close containers or start the next value.
    for (;;) {
      const top = stack[stack.length - 1];
      skipSpace();
      if (top === undefined) {
        if (at !== length) fail("Unexpected non-whitespace character after JSON");
        return value;
      }
      if ("array" in top) top.array.push(value);
      else setOwn(top.object, top.key, value);
      const next = text.charCodeAt(at);
      at++;
      if (next === 0x2c) {
        if ("object" in top) top.key = readKey();
        else skipSpace();
        break;
      }
      if ("array" in top ? next === 0x5d : next === 0x7d) {
        value = "array" in top ? top.array : top.object;
        stack.pop();
        continue;
      }
      at--;
      fail(at >= length ? "Unexpected end" : "Unexpected token");
    }
  }
}

/** An own, enumerable data property, as JSON.parse creates it (also for "__proto__"). */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    object[key] = value;
  }
}
