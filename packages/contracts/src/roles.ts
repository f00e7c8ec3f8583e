/** The registry's AccessControl roles (their own module: the revert decoder names them without importing the helpers). */
import { type Hex, keccak256, stringToBytes } from "viem";

/** `keccak256("ANCHORER_ROLE")`, the contract's `ANCHORER_ROLE`. */
export const ANCHORER_ROLE: Hex = keccak256(stringToBytes("ANCHORER_ROLE"));

/** OpenZeppelin's `DEFAULT_ADMIN_ROLE` (zero): manages streams and roles. */
export const DEFAULT_ADMIN_ROLE: Hex = `0x${"00".repeat(32)}`;
