/**
 * Addresses of a Hetzner private network that no server can have, vendored with their source in
 * test/fixtures/hcloud/networks.json (test/config-facts.test.ts keeps the two equal).
 */

/** The network's gateway: its first address after the network address (the subnets' `gateway`). */
export const NETWORK_GATEWAY_INDEX = 1;

/**
 * The gateway of every server's public interface. Hetzner refuses it as a route's gateway or
 * destination in a network, so it cannot be a server's private address either.
 */
export const PUBLIC_INTERFACE_GATEWAY = '172.31.1.1';
