import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { mustRunAsync as run } from '../process';

/** A guest's identity and place on the test network. */
export interface GuestNet {
  hostname: string;
  mac: string;
  /** Address with prefix length, e.g. 192.0.2.11/24. */
  address: string;
  gateway: string;
}

/**
 * The NoCloud seed of one VM: an ISO labelled `cidata` with meta-data, network-config and
 * user-data, which is how cloud-init on a cloud image finds its instance data without a
 * metadata server. `userData` is written byte for byte: the test boots exactly the file an
 * operator would hand to Hetzner.
 */
export async function buildSeedIso(dir: string, net: GuestNet, userData: string, instanceId: string): Promise<string> {
  const files = path.join(dir, 'cidata');
  fs.mkdirSync(files, { recursive: true });
  fs.writeFileSync(path.join(files, 'user-data'), userData);
  fs.writeFileSync(
    path.join(files, 'meta-data'),
    yaml11({ 'instance-id': instanceId, 'local-hostname': net.hostname }),
  );
  // Matched by MAC, as a cloud's metadata does: the guest's interface name does not matter.
  // The default route lets replies reach the stranger and operator addresses, which sit in
  // other TEST-NET ranges on the namespace side of the bridge.
  const networkConfig = {
    version: 2,
    ethernets: {
      public: {
        match: { macaddress: net.mac },
        addresses: [net.address],
        routes: [{ to: '0.0.0.0/0', via: net.gateway }],
      },
    },
  };
  fs.writeFileSync(path.join(files, 'network-config'), yaml11(networkConfig));
  return isoOf(files, 'cidata', path.join(dir, 'seed.iso'));
}

/** The read-only disk (label hdprobe) with the guest side of the report: report.py and probe.py. */
export async function buildProbeIso(dir: string): Promise<string> {
  const files = path.join(dir, 'hdprobe');
  fs.mkdirSync(files, { recursive: true });
  for (const name of ['report.py', 'probe.py'])
    fs.copyFileSync(path.join(__dirname, 'guest', name), path.join(files, name));
  return isoOf(files, 'hdprobe', path.join(dir, 'hdprobe.iso'));
}

/**
 * cloud-init reads YAML 1.1, where an unquoted MAC address such as 52:54:00:12:34:11 is a
 * base-60 integer; writing 1.1 makes the yaml package quote every such string.
 */
const yaml11 = (value: unknown) => stringify(value, { version: '1.1' });

async function isoOf(dir: string, label: string, iso: string): Promise<string> {
  // Rock Ridge keeps the file names exact (NoCloud looks for "user-data", not "USER_DAT.;1").
  await run(['xorriso', '-as', 'mkisofs', '-quiet', '-o', iso, '-V', label, '-J', '-R', dir]);
  return iso;
}
