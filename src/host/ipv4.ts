/** IPv4 subnet arithmetic for micado's own bridge range. */

export interface Subnet {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function parseAddress(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

export function formatAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

export function parseSubnet(text: string): Subnet | undefined {
  const [addr, prefixText] = text.split('/');
  const address = addr === undefined ? undefined : parseAddress(addr);
  if (address === undefined || !prefixText || !/^\d+$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((address & mask) >>> 0 !== address) return undefined;
  return { base: address, prefix };
}

export function formatSubnet(subnet: Subnet): string {
  return `${formatAddress(subnet.base)}/${subnet.prefix}`;
}

export function subnetSize(subnet: Subnet): number {
  return 2 ** (32 - subnet.prefix);
}

/** The `index`th address of the subnet (0 is the network address). */
export function addressAt(subnet: Subnet, index: number): string {
  if (index <= 0 || index >= subnetSize(subnet) - 1) {
    throw new RangeError(`no host address ${index} in ${formatSubnet(subnet)}`);
  }
  return formatAddress(subnet.base + index);
}

export function indexOf(subnet: Subnet, address: string): number | undefined {
  const value = parseAddress(address);
  if (value === undefined) return undefined;
  const index = value - subnet.base;
  return index > 0 && index < subnetSize(subnet) - 1 ? index : undefined;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const aEnd = a.base + subnetSize(a);
  const bEnd = b.base + subnetSize(b);
  return a.base < bEnd && b.base < aEnd;
}
