import { z } from 'zod';
import { port } from './net';
import { NONROOT_UID, runAsUser } from './pod-fields';
import { printable, text } from './text';

/** K3s as the nodes install it (release, pin, mirror, kube-proxy mode) and the Traefik it bundles. */

/**
 * The one K3s minor release whose facts this project encodes: the server flags, the bundled
 * Traefik chart, the token forms and the upgrade image were all checked against v1.34
 * (test/fixtures/k3s, test/fixtures/traefik-k3s). Any v1.34 patch release is accepted (the
 * Traefik values are tested against every chart v1.34 patches bundle); another minor may rename
 * flags or change defaults (kube-proxy's IPVS mode is deprecated from v1.35), so it is refused
 * until those facts are checked again.
 */
export const K3S_MINOR = 'v1.34';

const RELEASE = /^v\d+\.\d+\.\d+\+k3s\d+$/;
const k3sVersion = text
  .regex(RELEASE, 'expected a K3s release version such as v1.34.6+k3s1')
  .superRefine((version, ctx) => {
    if (RELEASE.test(version) && !version.startsWith(`${K3S_MINOR}.`)) {
      ctx.addIssue({
        code: 'custom',
        message:
          `${version} is not a ${K3S_MINOR}.x release: this project's K3s facts (server flags, bundled Traefik ` +
          `chart, token forms, upgrade image) are checked for ${K3S_MINOR} only; use a ${K3S_MINOR} release such as ` +
          'v1.34.6+k3s1, or re-check those facts before moving to another minor',
      });
    }
  });

export const k3s = z
  .strictObject({
    version: k3sVersion
      .default('v1.34.6+k3s1')
      .describe(`K3s release installed on the nodes: ${K3S_MINOR}.x, the minor whose facts this project encodes.`),
    sha256: text
      .regex(
        /^[a-f0-9]{64}$/,
        'expected the sha256 of the k3s binary as 64 lower-case hex digits, copied from the release’s sha256sum-amd64.txt',
      )
      .optional()
      .describe(
        'Pin of the k3s binary’s sha256 (from the release’s sha256sum-amd64.txt). Unset: the binary is checked against sha256sum-amd64.txt fetched from the same release over HTTPS, as install.sh does.',
      ),
    releaseBaseUrl: printable(
      z.url({
        protocol: /^https?$/,
        error: 'expected an http(s) URL such as https://github.com/k3s-io/k3s/releases/download',
      }),
    )
      .superRefine(checkReleaseUrl)
      .regex(
        /^[A-Za-z0-9_:/.,=+~-]+$/,
        'the URL may only contain letters, digits and _:/.,=+~- (it is placed in a systemd unit)',
      )
      .transform((u) => u.replace(/\/+$/, ''))
      .default('https://github.com/k3s-io/k3s/releases/download')
      .describe(
        'Where <version>/k3s and <version>/sha256sum-amd64.txt are downloaded from: the official releases, or a private or air-gapped mirror. http:// is accepted only with sha256 pinned. No credentials, query or fragment: the URL is written into a world-readable systemd unit.',
      ),
    kubeProxyMode: z
      .enum(['ipvs', 'iptables'])
      .default('ipvs')
      .describe(
        'kube-proxy mode. K3s defaults to iptables; ipvs adds the proxy-mode flag and loads the ip_vs modules at boot. servicelb is disabled either way.',
      ),
  })
  .superRefine((k, ctx) => {
    if (k.releaseBaseUrl.startsWith('http://') && !k.sha256) {
      ctx.addIssue({
        code: 'custom',
        path: ['releaseBaseUrl'],
        message:
          'an http:// release URL needs k3s.sha256 pinned: without TLS only the pin proves the binary is genuine. Use https:// or set k3s.sha256',
      });
    }
  })
  .describe('How K3s is installed on the nodes.');

export const traefik = z
  .strictObject({
    webPort: port
      .default(80)
      .describe('Host port of the web entrypoint; Cloudflare Flexible SSL sends plain HTTP here.'),
    websecurePort: port.default(443).describe('Host port of the websecure entrypoint.'),
    runAsUser: runAsUser
      .default(NONROOT_UID)
      .describe('UID and GID Traefik runs as; binding :80 as non-root needs ip_unprivileged_port_start=0 on the node.'),
  })
  .prefault({})
  .describe('The K3s-bundled Traefik, reconfigured as a hostNetwork DaemonSet.');

/**
 * The release URL lands in a 0644 systemd unit and in curl's argv: credentials there are
 * readable by every local user, and a query or fragment would be glued to the file names.
 */
function checkReleaseUrl(u: string, ctx: z.RefinementCtx) {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return; // the url format check reports it
  }
  const problems = [
    [
      url.username !== '' || url.password !== '' || /^[a-z]+:\/\/[^/]*@/i.test(u),
      'credentials (user:password@); the URL is written into a world-readable unit: use a mirror that needs none',
    ],
    [u.includes('?'), 'a query (?…); <version>/k3s is appended to the URL, so give the base path only'],
    [u.includes('#'), 'a fragment (#…); <version>/k3s is appended to the URL, so give the base path only'],
  ] as const;
  for (const [bad, what] of problems) if (bad) ctx.addIssue({ code: 'custom', message: `the URL has ${what}` });
}

/** The resolved `k3s` and `traefik` blocks, for the modules that read only them. */
export type K3sConfig = z.output<typeof k3s>;
export type TraefikConfig = z.output<typeof traefik>;
