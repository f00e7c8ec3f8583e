/**
 * Typed handles on the WHATWG text codecs. Core compiles without DOM or Node type libraries (it must
 * run in both), so the two globals it needs are described here instead of pulling in either library.
 */

interface Utf8Encoder {
  encode(input: string): Uint8Array;
}

interface Utf8Decoder {
  decode(input: Uint8Array): string;
}

interface TextCodecGlobals {
  TextEncoder: new () => Utf8Encoder;
  TextDecoder: new (label: string, options: { fatal?: boolean; ignoreBOM: boolean }) => Utf8Decoder;
}

const globals = globalThis as unknown as TextCodecGlobals;

/** UTF-8 encoder. Input strings are checked for lone surrogates before they get here. */
export const utf8Encoder: Utf8Encoder = new globals.TextEncoder();

/**
 * Strict UTF-8 decoder: `fatal` throws on invalid sequences instead of substituting U+FFFD, and
 * `ignoreBOM` keeps a leading byte-order mark in the text (where JSON.parse then rejects it) instead of
 * silently dropping it.
 */
export const strictUtf8Decoder: Utf8Decoder = new globals.TextDecoder("utf-8", {
  fatal: true,
  ignoreBOM: true,
});

/**
 * UTF-8 decoder without `fatal`: invalid sequences become U+FFFD instead of an exception. For fast
 * paths that only accept ASCII and leave everything else, errors included, to the strict decoder.
 */
export const lenientUtf8Decoder: Utf8Decoder = new globals.TextDecoder("utf-8", { ignoreBOM: true });
