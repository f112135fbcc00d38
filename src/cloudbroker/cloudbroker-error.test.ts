import { describe, expect, it } from 'vitest';
import { CloudBrokerError, faultOf, type CloudBrokerFault } from './cloudbroker-error.js';
import { isTransientFault } from './transient-retry.js';

describe('CloudBroker faults', () => {
  // [status, <type>, messages, fault, retried]
  const cases: [number, string | undefined, string[], CloudBrokerFault, boolean][] = [
    [400, undefined, ['bad parameter'], 'refused', false],
    [422, undefined, ['instance type xlarge.9 does not exist'], 'refused', false],
    [413, undefined, [], 'refused', false],
    [401, undefined, [], 'authentication', false],
    [403, undefined, [], 'missing rights', false],
    [404, undefined, [], 'not found', false],
    [200, undefined, ['404: record not found'], 'not found', false],
    [408, undefined, [], 'unavailable', true],
    [429, undefined, [], 'unavailable', true],
    [409, undefined, [], 'wrong status', true],
    [500, undefined, [], 'unavailable', true],
    [503, undefined, [], 'unavailable', true],
    [422, 'wrong status', ['the instance is not running'], 'wrong status', true],
    [400, 'Missing Rights', [], 'missing rights', false],
    [302, undefined, [], 'protocol', true],
  ];
  it.each(cases)('HTTP %i (type %s) is %s', (status, type, messages, fault, retried) => {
    expect(faultOf(type, messages, status)).toBe(fault);
    expect(isTransientFault(new CloudBrokerError(fault, 'x'))).toBe(retried);
  });
});
