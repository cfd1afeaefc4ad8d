// Kubernetes 1.30 API types. `cdk8s import k8s` needs the network, so these come from the
// `k8s` module cdk8s-plus-30 generates and ships. Imported by its file path, not through
// `cdk8s-plus-30`'s index, because loading the whole L2 library costs more start-up time
// than the rest of the synth (see README, Performance).
export * from 'cdk8s-plus-30/lib/imports/k8s';
