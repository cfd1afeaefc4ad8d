import type { App } from 'cdk8s';
import type { Config } from '../config/schema';
import { AdminChart } from './app/admin';
import { ApiChart } from './app/api';
import { RedisChart } from './app/redis';
import { WorkerChart } from './app/worker';
import { IngressChart } from './ingress';
import { NamespaceChart } from './namespace';
import { TraefikConfigChart } from './traefik-config';
import { UpgradeControllerChart } from './upgrade/controller';
import { K3sServerPlanChart } from './upgrade/plan';

/**
 * Adds every chart of the stack to `app`. Each chart depends on the namespace chart, so
 * cdk8s numbers the files (0000-namespace.k8s.yaml first) in an order `kubectl apply -f`
 * follows.
 */
export function addStack(app: App, config: Config) {
  const { partOf, namespace: ns, apps } = config;
  const namespace = new NamespaceChart(app, 'namespace', {
    partOf,
    name: ns,
    metadataAddress: config.cluster.hetzner.metadataAddress,
  });
  const redis = new RedisChart(app, 'redis', { partOf, namespace: ns, redis: apps.redis });
  const api = new ApiChart(app, 'api', { partOf, namespace: ns, api: apps.api, redis });
  const admin = new AdminChart(app, 'admin', { partOf, namespace: ns, admin: apps.admin });
  const worker = new WorkerChart(app, 'worker', { partOf, namespace: ns, worker: apps.worker, redis });
  const ingress = new IngressChart(app, 'ingress', {
    partOf,
    namespace: ns,
    className: config.ingressClassName,
    routes: [api.app.route, admin.app.route],
  });
  const traefik = new TraefikConfigChart(app, 'traefik', {
    partOf,
    webPort: config.traefik.webPort,
    websecurePort: config.traefik.websecurePort,
    runAsUser: config.traefik.runAsUser,
    runAsGroup: config.traefik.runAsUser,
    trustedIPs: [...config.cloudflare.ipv4, ...config.cloudflare.ipv6],
  });
  for (const chart of [redis, api, admin, worker, ingress]) chart.addDependency(namespace);
  // The Plan's file follows the controller's, whose file holds the Plan CRD.
  const upgradeController = new UpgradeControllerChart(app, 'upgrade-controller', { partOf });
  const upgradePlan = new K3sServerPlanChart(app, 'upgrade-plan', {
    partOf,
    controller: upgradeController,
    version: config.k3s.version,
    servers: config.cluster.nodes.length,
  });
  return { namespace, redis, api, admin, worker, ingress, traefik, upgradeController, upgradePlan };
}
