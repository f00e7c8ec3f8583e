/**
 * API keys: `ak_<id>_<secret>` bearer tokens. The key file (`<dataDir>/api-keys.json`, mode 0600)
 * holds each key's id, scopes, times and the SHA-256 of its secret, never the secret: a stolen file
 * lets nobody call the service. The secret is 32 random bytes, so a plain hash is as strong as a slow
 * one (there is nothing to guess); it is compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ServiceError } from "./errors.js";

/** What a key may do. `admin` includes `write` and `read`. */
export type Scope = "read" | "write" | "admin";
/** Every scope, in increasing power. */
export const SCOPES: readonly Scope[] = ["read", "write", "admin"];
/** Name of the key file inside the data directory. */
export const KEY_FILE = "api-keys.json";

/** A key as listed (never with its secret). */
export interface ApiKeyInfo {
  id: string;
  scopes: Scope[];
  /** Free text naming the holder (e.g. "ingest@loans"); optional. */
  name?: string;
  createdAt: string;
  revokedAt?: string;
}

/** A newly created key: `token` is shown once and stored nowhere. */
export interface CreatedApiKey extends ApiKeyInfo {
  token: string;
}

interface StoredKey extends ApiKeyInfo {
  /** SHA-256 of the secret, hex. */
  sha256: string;
}

interface KeyFile {
  format: "ancora.api-keys";
  version: 1;
  keys: StoredKey[];
}

const TOKEN = /^ak_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const ID = /^[0-9a-f]{16}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function invalidFile(reason: string): ServiceError {
  return new ServiceError("KEY_FILE_INVALID", `The API key file is not valid (${reason})`, {
    hint: `Restore ${KEY_FILE} from a backup, or move it away and create new keys.`,
  });
}

function checkScopes(scopes: unknown): Scope[] {
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => SCOPES.includes(s as Scope))) {
    throw new ServiceError("BAD_REQUEST", `scopes must be a non-empty list of ${SCOPES.join(", ")}`, {
      hint: 'For example ["write"] for an ingesting service, ["read"] for an auditor.',
    });
  }
  return [...new Set(scopes as Scope[])];
}

function parseFile(text: string): KeyFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidFile("not JSON");
  }
  const file = value as Partial<KeyFile> | null;
  if (file?.format !== "ancora.api-keys" || file.version !== 1 || !Array.isArray(file.keys)) {
    throw invalidFile("unknown format or version");
  }
  for (const key of file.keys) {
    const ok =
      typeof key === "object" &&
      key !== null &&
      ID.test(key.id) &&
      SHA256_HEX.test(key.sha256) &&
      typeof key.createdAt === "string" &&
      Array.isArray(key.scopes) &&
      key.scopes.every((s) => SCOPES.includes(s));
    if (!ok) throw invalidFile("a key entry is malformed");
  }
  return file as KeyFile;
}

function readKeyFile(path: string): KeyFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { format: "ancora.api-keys", version: 1, keys: [] };
    throw error;
  }
  return parseFile(text);
}

/** Writes the whole file to a temporary name and renames it over: a crash leaves the old or the new file. */
function writeKeyFile(path: string, file: KeyFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

function info(key: StoredKey): ApiKeyInfo {
  const { sha256: _secretHash, ...rest } = key;
  return { ...rest, scopes: [...rest.scopes] };
}

/**
 * Creates an API key in `dataDir`'s key file and returns it with its token, which is not stored
 * anywhere: print it once.
 *
 * @example
 * ```ts
 * const { token } = createApiKey("/var/lib/ancora", ["admin"], { name: "first admin" });
 * // curl -H "Authorization: Bearer $token" …
 * ```
 */
export function createApiKey(
  dataDir: string,
  scopes: readonly Scope[],
  options: { name?: string; clock?: () => Date } = {},
): CreatedApiKey {
  const checked = checkScopes(scopes);
  const path = join(dataDir, KEY_FILE);
  const file = readKeyFile(path);
  let id = randomBytes(8).toString("hex");
  while (file.keys.some((k) => k.id === id)) id = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  const key: StoredKey = {
    id,
    scopes: checked,
    ...(options.name === undefined ? {} : { name: options.name }),
    createdAt: (options.clock?.() ?? new Date()).toISOString(),
    sha256: sha256(secret).toString("hex"),
  };
  writeKeyFile(path, { ...file, keys: [...file.keys, key] });
  return { ...info(key), token: `ak_${id}_${secret}` };
}

/**
 * Revokes a key by id (the middle part of its token). A running service refuses it from its next
 * request on. Revoking twice keeps the first time.
 *
 * @example
 * ```ts
 * revokeApiKey("/var/lib/ancora", "3f9a0c2b7d4e1a55");
 * ```
 */
export function revokeApiKey(dataDir: string, id: string, options: { clock?: () => Date } = {}): ApiKeyInfo {
  const path = join(dataDir, KEY_FILE);
  const file = readKeyFile(path);
  const key = file.keys.find((k) => k.id === id);
  if (key === undefined) {
    throw new ServiceError("KEY_NOT_FOUND", "No API key has this id", {
      hint: "List the keys to find its id.",
    });
  }
  if (key.revokedAt === undefined) {
    key.revokedAt = (options.clock?.() ?? new Date()).toISOString();
    writeKeyFile(path, file);
  }
  return info(key);
}

/**
 * Every key of `dataDir` (revoked ones included), without secrets.
 *
 * @example
 * ```ts
 * for (const key of listApiKeys(dir)) console.log(key.id, key.scopes.join(","), key.revokedAt ?? "active");
 * ```
 */
export function listApiKeys(dataDir: string): ApiKeyInfo[] {
  return readKeyFile(join(dataDir, KEY_FILE)).keys.map(info);
}

/** Whether a key with `scopes` may use a route that needs `required`. */
export function allows(scopes: readonly Scope[], required: Scope): boolean {
  return scopes.includes("admin") || scopes.includes(required);
}

/** The service's view of the key file: re-read when the file changes, so revocations apply at once. */
export class KeyRing {
  readonly #path: string;
  #stamp = "";
  #keys = new Map<string, StoredKey>();

  constructor(dataDir: string) {
    this.#path = join(dataDir, KEY_FILE);
    this.#refresh();
  }

  #refresh(): void {
    let stamp: string;
    try {
      const s = statSync(this.#path, { bigint: true });
      stamp = `${s.ino}:${s.size}:${s.mtimeNs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      stamp = "missing";
    }
    if (stamp === this.#stamp) return;
    const file = readKeyFile(this.#path);
    this.#keys = new Map(file.keys.map((k) => [k.id, k]));
    this.#stamp = stamp;
  }

  /** Keys currently in the file that are not revoked. */
  get activeKeys(): number {
    this.#refresh();
    let n = 0;
    for (const key of this.#keys.values()) if (key.revokedAt === undefined) n++;
    return n;
  }

  /**
   * The key a bearer token belongs to, or undefined for anything else (malformed, unknown, wrong
   * secret, revoked). Never throws on the token's content.
   */
  authenticate(token: string): ApiKeyInfo | undefined {
    const match = TOKEN.exec(token);
    if (match === null) return undefined;
    this.#refresh();
    const key = this.#keys.get(match[1] as string);
    // Hash even for an unknown id, so timing does not tell ids apart.
    const presented = sha256(match[2] as string);
    const stored = key === undefined ? Buffer.alloc(32) : Buffer.from(key.sha256, "hex");
    const equal = timingSafeEqual(presented, stored);
    if (key === undefined || !equal || key.revokedAt !== undefined) return undefined;
    return info(key);
  }
}
