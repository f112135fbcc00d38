import { describe, expect, it } from 'vitest';
import {
  bridgeCommands,
  hostSideCommands,
  namespaceSideCommands,
  type NamespaceLink,
} from './network.js';

const link: NamespaceLink = {
  namespace: 'micado-i-1',
  hostVeth: 'mv0123456789',
  bridge: 'micado0',
  address: '10.232.0.3',
  prefix: 16,
};

describe('network commands', () => {
  it('makes a bridge carrying the gateway address', () => {
    expect(bridgeCommands('micado0', '10.232.0.1/16')).toEqual([
      'link add micado0 type bridge',
      'addr add 10.232.0.1/16 dev micado0',
      'link set micado0 up',
    ]);
  });

  it('creates the veth peer directly inside the namespace and bridges the host end', () => {
    expect(hostSideCommands(link)).toEqual([
      'netns add micado-i-1',
      'link add mv0123456789 type veth peer name eth0 netns micado-i-1',
      'link set mv0123456789 master micado0',
      'link set mv0123456789 up',
    ]);
  });

  it('gives the namespace its address and no default route', () => {
    const lines = namespaceSideCommands(link);
    expect(lines).toContain('addr add 10.232.0.3/16 dev eth0');
    expect(lines.some((l) => l.includes('route'))).toBe(false);
  });
});
