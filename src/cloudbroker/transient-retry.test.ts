import { describe, expect, it } from 'vitest';
import { CloudBrokerError, type CloudBrokerFault } from './cloudbroker-error.js';
import { isTransientFault, retryTransient } from './transient-retry.js';

/** A step failing with `faults` in turn, then answering 'done'; and a clock that sleeps. */
function scripted(faults: CloudBrokerFault[]) {
  let clock = 0;
  let calls = 0;
  const step = async () => {
    const fault = faults[calls++];
    if (fault) throw new CloudBrokerError(fault, `GET x.xml: ${fault}`);
    return 'done';
  };
  const options = {
    now: () => clock,
    sleep: async (ms: number) => void (clock += ms),
    random: () => 1,
  };
  return { step, options, calls: () => calls, clock: () => clock };
}

describe('retryTransient', () => {
  it.each<[CloudBrokerFault, boolean]>([
    ['unavailable', true],
    ['protocol', true],
    ['wrong status', true],
    ['not found', false],
    ['authentication', false],
    ['missing rights', false],
  ])('takes %s as transient: %s', (fault, transient) => {
    expect(isTransientFault(new CloudBrokerError(fault, 'x'))).toBe(transient);
  });

  it('repeats the step past transient faults, with pauses that grow to their cap', async () => {
    const s = scripted(['unavailable', 'protocol', 'wrong status', 'unavailable', 'unavailable']);
    const result = await retryTransient(s.step, {
      ...s.options,
      deadline: 60_000,
      maxPauseMs: 1000,
    });
    expect(result).toBe('done');
    expect(s.calls()).toBe(6);
    expect(s.clock()).toBe(250 + 500 + 1000 + 1000 + 1000);
  });

  it('throws the last fault once the deadline would pass', async () => {
    const s = scripted(Array<CloudBrokerFault>(100).fill('unavailable'));
    await expect(retryTransient(s.step, { ...s.options, deadline: 2000 })).rejects.toThrow(
      'CloudBroker: GET x.xml: unavailable',
    );
    expect(s.clock()).toBeLessThan(2000);
  });

  it('throws at once a fault that is not transient', async () => {
    const s = scripted(['authentication']);
    await expect(retryTransient(s.step, { ...s.options, deadline: 60_000 })).rejects.toThrow(
      /authentication/,
    );
    expect(s.calls()).toBe(1);
  });
});
