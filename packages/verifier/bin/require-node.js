// Refuses, in one line, to run on a Node.js older than Ancora needs, before anything that would crash on
// it is loaded (under Node 20, better-sqlite3 13 segfaults and `.ts` files do not load at all). Plain
// JavaScript that any supported-or-not Node parses: every entry point imports it first, then loads the
// rest with a dynamic import. 22.12 is what Hardhat's EDR, vitest 5, better-sqlite3 13 and Helia 7 need
// (docs/decisions.md, "Node 24, installed from the npm registry when missing").

/** The oldest Node.js Ancora runs on (the root package.json's `engines.node`). */
export const REQUIRED_NODE = "22.12";

/**
 * Exits with code 2 and one line on stderr (`error NODE_TOO_OLD: …`) when this Node.js is older than
 * {@link REQUIRED_NODE}; returns otherwise. `command` is what the user ran, for the message.
 *
 * @param {string} command
 */
export function requireNode(command) {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  const [needMajor, needMinor] = REQUIRED_NODE.split(".").map(Number);
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return;
  process.stderr.write(
    `error NODE_TOO_OLD: ${command} needs Node.js ${REQUIRED_NODE} or newer, and this is Node.js ${process.versions.node}: put a newer node first on PATH (\`make bootstrap\` installs one in .toolchain/bin)\n`,
  );
  process.exit(2);
}
