/**
 * Writing an export to a file all or nothing: the content goes to a temporary file in the same
 * directory, which is flushed to disk (fsync), renamed over the final name, and the directory flushed
 * too, so that after a crash or a kill the final name holds either the complete file or nothing new
 * (rename(2) replaces a name atomically within one file system; the directory fsync makes the rename
 * itself durable).
 */
import { randomBytes } from "node:crypto";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Writable } from "node:stream";
import { ExportFileError } from "./errors.js";

/**
 * Test hook, for crash tests only: when this variable is `1`, the writer writes half of the first
 * chunk to the temporary file, flushes it, prints `<variable>: paused <temporary path>` on stderr and
 * waits forever, so a test can kill the process at a known point instead of racing a timer.
 */
export const ATOMIC_WRITE_PAUSE_ENV = "ANCORA_TEST_PAUSE_ATOMIC_WRITE";

/** What {@link writeFileAtomically} did. */
export interface AtomicWriteResult<T> {
  /** What `fill` returned. */
  result: T;
  /** Bytes written to the file (the file's size). */
  bytes: number;
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<number> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
  return done;
}

/** Parks the process for the crash test (see {@link ATOMIC_WRITE_PAUSE_ENV}); never resolves. */
function pauseForCrashTest(temp: string): Promise<never> {
  process.stderr.write(`${ATOMIC_WRITE_PAUSE_ENV}: paused ${temp}\n`);
  setInterval(() => undefined, 60_000);
  return new Promise<never>(() => undefined);
}

function unwritable(path: string, error: unknown): ExportFileError {
  return new ExportFileError("The export file cannot be written", {
    cause: error,
    hint: "Check that the directory exists, is writable and has free space, then run the export again.",
    evidence: { file: basename(path), code: String((error as { code?: unknown }).code ?? "unknown") },
  });
}

/**
 * Calls `fill` with a stream into a temporary file beside `path`, then makes the file durable and
 * renames it to `path`. When `fill` or any step fails, the temporary file is removed and `path` is left
 * as it was; the error is `fill`'s own, or an {@link ExportFileError} (`EXPORT_FILE_UNWRITABLE`) for
 * a file system failure.
 *
 * @example
 * ```ts
 * const { bytes } = await writeFileAtomically("pack.md", async (out) => {
 *   out.write(renderEvidencePack(pack));
 * });
 * ```
 */
export async function writeFileAtomically<T>(
  path: string,
  fill: (out: Writable) => Promise<T>,
): Promise<AtomicWriteResult<T>> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.partial`);
  let handle: FileHandle;
  try {
    handle = await open(temp, "wx");
  } catch (error) {
    throw unwritable(path, error);
  }
  const pause = process.env[ATOMIC_WRITE_PAUSE_ENV] === "1";
  let bytes = 0;
  let failure: unknown;
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const step = async () => {
        if (pause && bytes === 0) {
          bytes += await writeAll(handle, chunk.subarray(0, Math.max(1, chunk.length >> 1)));
          await handle.sync();
          await pauseForCrashTest(temp);
        }
        bytes += await writeAll(handle, chunk);
      };
      step().then(
        () => callback(),
        (error: unknown) => {
          failure ??= error;
          callback(error as Error);
        },
      );
    },
  });
  // A failed write surfaces through `failure`; without a listener the stream's error would be thrown.
  out.on("error", (error) => {
    failure ??= error;
  });
  try {
    const result = await fill(out);
    await new Promise<void>((resolve, reject) => {
      out.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
    if (failure !== undefined) throw failure;
    await handle.sync();
    await handle.close();
    await rename(temp, path);
    await syncDirectory(dir);
    return { result, bytes };
  } catch (error) {
    out.destroy();
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    const fsError = (error as { syscall?: unknown }).syscall !== undefined;
    throw fsError ? unwritable(path, error) : error;
  }
}

/** Makes a rename in `dir` durable; file systems that cannot fsync a directory are left as they are. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM") throw error;
  } finally {
    await handle?.close();
  }
}
