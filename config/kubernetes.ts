/**
 * What Kubernetes v1.34 (as K3s v1.34 runs it) refuses or does by default, for the checks of
 * the configuration. Each number is vendored with its source in test/fixtures/kubernetes/ and
 * test/fixtures/k3s/, and test/config-facts.test.ts keeps the two equal.
 */

/**
 * The largest value of an `int32` field (OpenAPI `format: int32`): replicas, probe periods and
 * thresholds, ports. The API server cannot even decode a larger number there.
 */
export const INT32_MAX = 2 ** 31 - 1;

/**
 * The largest UID or GID the API server accepts (apimachinery `IsValidUserID` and
 * `IsValidGroupID`: 0 to math.MaxInt32), although runAsUser, runAsGroup and fsGroup are int64.
 */
export const MAX_UID = INT32_MAX;

/**
 * The prefix of the pod range each node gets from the pod CIDR: kube-controller-manager's
 * default node-cidr-mask-size for IPv4. K3s starts it with allocate-node-cidrs and the cluster
 * CIDR but no mask size, so a pod CIDR needs one /24 per node.
 */
export const NODE_POD_CIDR_PREFIX = 24;

/**
 * The service CIDR kube-apiserver accepts: at least 8 addresses (a /29) and at most 20 host
 * bits (a /12).
 */
export const SERVICE_CIDR_PREFIX = { shortest: 12, longest: 29 } as const;

/** The `kubernetes` Service's address: the API server takes this index of the service CIDR. */
export const KUBERNETES_SERVICE_INDEX = 1;

/** The address K3s gives CoreDNS when cluster-dns is not set: this index of the service CIDR. */
export const K3S_DEFAULT_DNS_INDEX = 10;
