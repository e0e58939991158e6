import { isAddressAllowed, isPrivateAddress, parseCidrList } from '../../src/common/net/private-networks';

// Classification only: nothing here connects anywhere.
describe('isPrivateAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback /8'],
    ['::1', 'IPv6 loopback'],
    ['10.1.2.3', 'private 10/8'],
    ['172.20.0.1', 'private 172.16/12'],
    ['192.168.1.1', 'private 192.168/16'],
    ['169.254.169.254', 'cloud metadata (link-local)'],
    ['fe80::1', 'IPv6 link-local'],
    ['fd12:3456::1', 'IPv6 unique local'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['64:ff9b::7f00:1', 'NAT64 of 127.0.0.1'],
    ['2002:7f00:1::', '6to4 of 127.0.0.1'],
    ['::127.0.0.1', 'deprecated IPv4-compatible'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'IPv6 unspecified'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'IPv6 multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'documentation (TEST-NET-1)'],
    ['2001:db8::1', 'IPv6 documentation'],
    ['[::1]', 'bracketed IPv6 loopback'],
    ['localhost', 'not an IP: fail closed'],
    ['', 'empty: fail closed'],
  ])('%s (%s) is private', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each([
    ['8.8.8.8'],
    ['1.1.1.1'],
    ['172.32.0.1'], // just outside 172.16/12
    ['100.128.0.1'], // just outside 100.64/10
    ['2606:4700::1111'],
    ['2001:4860:4860::8888'],
    ['::ffff:8.8.8.8'],
    ['64:ff9b::808:808'], // NAT64 of 8.8.8.8
  ])('%s is public', (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });
});

describe('parseCidrList', () => {
  it('parses IPv4 and IPv6 CIDRs, ignoring blanks', () => {
    const list = parseCidrList([' 127.0.0.0/8 ', '', 'fd00::/8']);
    expect(list).toHaveLength(2);
    expect(list[0][0].toString()).toBe('127.0.0.0');
    expect(list[0][1]).toBe(8);
    expect(list[1][0].kind()).toBe('ipv6');
    expect(list[1][1]).toBe(8);
  });

  it.each(['10.0.0.0', '999.1.1.1/8', '10.0.0.0/33', 'fd00::/129', 'example.com/24'])('names the bad CIDR %s', (bad) => {
    expect(() => parseCidrList(['127.0.0.0/8', bad])).toThrow(bad);
  });
});

describe('isAddressAllowed', () => {
  it('always allows public addresses, even with an empty allow-list', () => {
    expect(isAddressAllowed('8.8.8.8', [])).toBe(true);
    expect(isAddressAllowed('2606:4700::1111', [])).toBe(true);
  });

  it('refuses private addresses unless inside an allowed CIDR', () => {
    const allow = parseCidrList(['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8']);
    expect(isAddressAllowed('127.0.0.1', [])).toBe(false);
    expect(isAddressAllowed('127.0.0.1', allow)).toBe(true);
    expect(isAddressAllowed('127.0.0.2', allow)).toBe(false);
    expect(isAddressAllowed('10.200.3.4', allow)).toBe(true);
    expect(isAddressAllowed('192.168.1.1', allow)).toBe(false);
    expect(isAddressAllowed('169.254.169.254', allow)).toBe(false);
    expect(isAddressAllowed('fd00::5', allow)).toBe(true);
    expect(isAddressAllowed('fe80::1', allow)).toBe(false);
    expect(isAddressAllowed('::1', allow)).toBe(false); // an IPv4 loopback CIDR does not cover ::1
  });

  it('judges IPv4-mapped IPv6 addresses by their IPv4 address', () => {
    expect(isAddressAllowed('::ffff:127.0.0.1', [])).toBe(false);
    expect(isAddressAllowed('::ffff:127.0.0.1', parseCidrList(['127.0.0.0/8']))).toBe(true);
    expect(isAddressAllowed('::ffff:127.0.0.2', parseCidrList(['127.0.0.1/32']))).toBe(false);
  });

  it('never allows something that is not an IP address', () => {
    expect(isAddressAllowed('localhost', parseCidrList(['0.0.0.0/0', '::/0']))).toBe(false);
  });
});
