import { describe, expect, it } from 'vitest';
import { addressAt, formatSubnet, indexOf, overlaps, parseSubnet } from './ipv4.js';

describe('ipv4', () => {
  it.each([
    ['10.232.0.0/16', '10.232.0.0/16'],
    ['192.168.1.0/24', '192.168.1.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
  ])('parses %s', (text, formatted) => {
    expect(formatSubnet(parseSubnet(text)!)).toBe(formatted);
  });

  it.each(['10.232.0.1/16', '10.232.0.0', '10.256.0.0/16', '10.0.0.0/33', 'x/8', '1.2.3/8'])(
    'rejects %s',
    (text) => {
      expect(parseSubnet(text)).toBeUndefined();
    },
  );

  it('numbers host addresses and refuses network and broadcast', () => {
    const subnet = parseSubnet('10.232.0.0/16')!;
    expect(addressAt(subnet, 1)).toBe('10.232.0.1');
    expect(addressAt(subnet, 258)).toBe('10.232.1.2');
    expect(indexOf(subnet, '10.232.1.2')).toBe(258);
    expect(() => addressAt(subnet, 0)).toThrow(RangeError);
    expect(() => addressAt(subnet, 65535)).toThrow(RangeError);
  });

  it('tells overlapping ranges', () => {
    const wide = parseSubnet('10.232.0.0/16')!;
    expect(overlaps(wide, parseSubnet('10.232.5.0/24')!)).toBe(true);
    expect(overlaps(wide, parseSubnet('10.0.0.0/8')!)).toBe(true);
    expect(overlaps(wide, parseSubnet('10.233.0.0/16')!)).toBe(false);
  });
});
