import { describe, expect, it } from 'vitest';
import { dockerdArgv, flavourCapacity, namespacedArgv } from './dockerd-command.js';
import { vethName } from './local-host.js';

const base = {
  dataRoot: '/s/n/data',
  execRoot: '/s/n/run',
  pidFile: '/s/n/dockerd.pid',
  socket: '/s/n/docker.sock',
  cgroupParent: '/micado/i-1/containers',
};

const valuesOf = (argv: string[], flag: string) =>
  argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));

describe('dockerd command', () => {
  it('keeps every path of the daemon in its own directory', () => {
    const argv = dockerdArgv(base);
    expect(valuesOf(argv, '--data-root')).toEqual(['/s/n/data']);
    expect(valuesOf(argv, '--exec-root')).toEqual(['/s/n/run']);
    expect(valuesOf(argv, '--pidfile')).toEqual(['/s/n/dockerd.pid']);
    expect(valuesOf(argv, '--host')).toEqual(['unix:///s/n/docker.sock']);
    expect(valuesOf(argv, '--cgroup-parent')).toEqual(['/micado/i-1/containers']);
  });

  it('touches no host networking, and gives containers a bridge only when asked', () => {
    const argv = dockerdArgv(base);
    expect(valuesOf(argv, '--bridge')).toEqual(['none']);
    expect(valuesOf(dockerdArgv({ ...base, containerBridge: true }), '--bridge')).toEqual([]);
    expect(argv).toContain('--iptables=false');
    expect(argv).toContain('--ip-masq=false');
  });

  it('advertises capacity and labels, and trusts no registry over plain HTTP', () => {
    const argv = dockerdArgv({
      ...base,
      capacity: flavourCapacity({ cpus: 1.5, memoryMb: 512 }),
      labels: { 'micado.instance': 'i-1', 'micado.pool': 'application' },
    });
    expect(valuesOf(argv, '--node-generic-resource')).toEqual([
      'micado.cpu_milli=1500',
      'micado.mem_mb=512',
    ]);
    expect(valuesOf(argv, '--label')).toEqual(['micado.instance=i-1', 'micado.pool=application']);
    expect(argv.some((arg) => arg.includes('insecure'))).toBe(false);
  });

  it('enters cgroup, network and UTS namespaces by exec, keeping the daemon pid', () => {
    const argv = namespacedArgv('/sys/fs/cgroup/pids/m/i-1/daemon/cgroup.procs', 'm-i-1', 'm-i-1', [
      'dockerd',
      '--x',
    ]);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).toContain('exec nsenter --net="$ns" -- unshare --uts');
    expect(argv.slice(3)).toEqual([
      '/sys/fs/cgroup/pids/m/i-1/daemon/cgroup.procs',
      '/var/run/netns/m-i-1',
      'm-i-1',
      'dockerd',
      '--x',
    ]);
  });

  it('names veths uniquely per cluster within the 15-character limit', () => {
    const a = vethName('micado', 'i-1');
    expect(a).toMatch(/^mv[0-9a-f]{10}$/);
    expect(vethName('micado', 'i-1')).toBe(a);
    expect(vethName('other', 'i-1')).not.toBe(a);
  });
});
