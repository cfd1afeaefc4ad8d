/** ufw's chain prefix per IP family: `ufw-user-input`, `ufw6-user-input`, … */
export const CHAIN_PREFIX = { 4: 'ufw', 6: 'ufw6' } as const;

/** The chain ufw puts the allow rules in. */
export const userInputChain = (family: 4 | 6) => `${CHAIN_PREFIX[family]}-user-input`;

/**
 * The chain whose presence proves ufw has loaded this node's rules: k3s.service will not start
 * without it (its ExecStartPre lists it), so etcd, the kubelet and the API never run unfiltered.
 */
export const UFW_GATE_CHAIN = userInputChain(4);
