/**
 * The node's network namespace and its link to the host (addresses.ts has the picture). The
 * pods' bridge inside it is made by the CNI bridge plugin when the first pod starts; this
 * module writes that plugin's configuration.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ip } from '../network/ip-command.ts';
import type { RealNodeAddresses } from './addresses.ts';

/** Creates the namespace, the veth pair, addresses and routes; idempotent cleanup in remove. */
export async function createNodeNetwork(a: RealNodeAddresses): Promise<void> {
  await ip('netns', 'add', a.netns);
  await ip('link', 'add', a.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', a.netns);
  await ip('addr', 'add', `${a.hostAddress}/${a.linkPrefixLength}`, 'dev', a.hostVeth);
  await ip('link', 'set', a.hostVeth, 'up');
  const inNode = (...args: string[]): Promise<string> => ip('-n', a.netns, ...args);
  await inNode('addr', 'add', `${a.nodeAddress}/${a.linkPrefixLength}`, 'dev', 'eth0');
  await inNode('link', 'set', 'eth0', 'up');
  await inNode('link', 'set', 'lo', 'up');
  // Everything that is not a pod or a Service goes to the host (the API server, the registry).
  await inNode('route', 'add', 'default', 'via', a.hostAddress);
  // The host reaches pods and ClusterIPs through the node, as a machine on the cluster network.
  await ip('route', 'add', a.podCidr, 'via', a.nodeAddress);
  await ip('route', 'add', a.serviceCidr, 'via', a.nodeAddress);
}

/** Deletes the namespace (and with it both ends of the veth and the node's routes). */
export async function removeNodeNetwork(a: RealNodeAddresses): Promise<void> {
  await ip('route', 'del', a.podCidr).catch(() => undefined);
  await ip('route', 'del', a.serviceCidr).catch(() => undefined);
  await ip('netns', 'delete', a.netns).catch(() => undefined);
  await ip('link', 'delete', a.hostVeth).catch(() => undefined);
}

/**
 * The CNI configuration containerd reads: a bridge inside the node's namespace (its name is
 * local to that namespace, so every cluster may call it cni0), host-local addresses from the
 * pod range, no masquerading (pods keep their source address; the host routes back to them).
 */
export async function writeCniConfig(dir: string, a: RealNodeAddresses): Promise<string> {
  const confDir = join(dir, 'cni', 'net.d');
  await mkdir(confDir, { recursive: true });
  const conf = {
    cniVersion: '1.0.0',
    name: 'ganymede',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cni0',
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: a.podCidr, gateway: a.podGateway }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: join(dir, 'cni', 'ipam'),
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
  await writeFile(join(confDir, '10-ganymede.conflist'), JSON.stringify(conf, null, 2));
  return confDir;
}
