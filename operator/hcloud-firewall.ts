/**
 * The hcloud commands that give the cluster its Cloud Firewall, in order: the summary prints
 * them after every render, the rollout when the firewall does not exist yet.
 */
export function firewallCommands(name: string, rulesFile: string): string[][] {
  return [
    ['hcloud', 'firewall', 'create', '--name', name],
    ['hcloud', 'firewall', 'replace-rules', name, '--rules-file', rulesFile],
  ];
}
