/** A viem public client whose every request fails as a node that refuses connections does. */
import { createPublicClient, custom, type PublicClient } from "viem";
import { hardhat } from "viem/chains";

export function unreachableClient(): PublicClient {
  return createPublicClient({
    chain: hardhat,
    transport: custom(
      {
        async request() {
          throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
        },
      },
      { retryCount: 0 },
    ),
  }) as PublicClient;
}
