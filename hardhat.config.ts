import { createRequire } from "node:module";
import hardhatToolboxViemPlugin from "@nomicfoundation/hardhat-toolbox-viem";
import { configVariable, defineConfig } from "hardhat/config";

// Hardhat cannot download compilers on these machines (no network but the npm registry), so it is
// pointed at the soljson.js shipped by the npm `solc` package. The version must equal the package's.
const require = createRequire(import.meta.url);
const SOLC_VERSION = (require("solc/package.json") as { version: string }).version;
const SOLC_PATH = require.resolve("solc/soljson.js");

const compiler = {
  version: SOLC_VERSION,
  path: SOLC_PATH,
  settings: {
    evmVersion: "prague",
    optimizer: { enabled: true, runs: 10_000 },
  },
};

export default defineConfig({
  plugins: [hardhatToolboxViemPlugin],
  solidity: {
    profiles: {
      default: compiler,
      production: compiler,
    },
  },
  paths: {
    tests: {
      nodejs: "test/contracts",
      solidity: "contracts",
    },
  },
  networks: {
    // Any EVM JSON-RPC endpoint; the URL and the key come from the environment (or hardhat-keystore),
    // never from this file.
    remote: {
      type: "http",
      chainType: "l1",
      url: configVariable("ANCORA_RPC_URL"),
      accounts: [configVariable("ANCORA_DEPLOYER_KEY")],
    },
  },
});
