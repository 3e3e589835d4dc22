import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allocate, checkNoOverlap, makePool, pickSubnet, parseAddressPools } from './ipam.js';
import { formatCidr, formatIp, parseCidr, parseIp } from './ipnet.js';
import { renderRuleset } from './nft.js';
import { portRequests } from './ports.js';

describe('ipnet', () => {
  it('parses and formats both families', () => {
    assert.equal(formatIp(parseIp('10.1.2.3')!), '10.1.2.3');
    assert.equal(formatIp(parseIp('2001:db8:0:0:0:0:0:1')!), '2001:db8::1');
    assert.equal(formatCidr(parseCidr('10.1.2.3/24')!), '10.1.2.0/24');
    assert.equal(parseCidr('10.1.2.3/24', { strict: true }), undefined);
    assert.equal(parseCidr('10.1.2.0/33'), undefined);
  });
});

describe('ipam', () => {
  it('allocates the lowest free address, skipping network, broadcast, gateway and aux addresses', () => {
    const p = makePool({ Subnet: '10.213.0.0/29', Gateway: '10.213.0.1', AuxiliaryAddresses: { r: '10.213.0.2' } });
    const used = new Set<bigint>();
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const a = allocate(p, used);
      used.add(a.value);
      got.push(formatIp(a));
    }
    assert.deepEqual(got, ['10.213.0.3', '10.213.0.4', '10.213.0.5', '10.213.0.6']);
    assert.throws(() => allocate(p, used), /no available IPv4 addresses/);
  });
  it('honours ip-range and requested addresses with Docker errors', () => {
    const p = makePool({ Subnet: '10.213.1.0/24', IPRange: '10.213.1.128/25' });
    assert.equal(formatIp(allocate(p, new Set())), '10.213.1.128');
    assert.throws(() => allocate(p, new Set(), '10.213.2.5'), /no configured subnet or ip-range contain the IP address 10.213.2.5/);
    assert.throws(() => makePool({ Subnet: '10.213.1.0/24', Gateway: '10.9.9.9' }), /no matching subnet for gateway/);
    assert.throws(() => makePool({ Subnet: '10.213.1.0/24', IPRange: '10.213.2.0/25' }), /not within subnet/);
  });
  it('refuses overlapping subnets and picks a free default pool', () => {
    assert.throws(() => checkNoOverlap(parseCidr('10.1.0.128/25')!, [parseCidr('10.1.0.0/24')!]), /Pool overlaps with other one on this address space/);
    const pools = parseAddressPools(undefined);
    assert.equal(formatCidr(pickSubnet(pools, [parseCidr('172.17.0.0/16')!])), '172.18.0.0/16');
    assert.equal(formatCidr(pickSubnet(parseAddressPools([{ base: '10.213.0.0/16', size: 24 }]), [parseCidr('10.213.0.0/23')!])), '10.213.2.0/24');
  });
});

describe('ports and rules', () => {
  it('parses PortBindings and -P like Docker', () => {
    assert.deepEqual(portRequests({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8000-8001' }] }, { '53/udp': {} }, true), [
      { proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPorts: [8000, 8001] },
      { proto: 'udp', containerPort: 53, hostIp: '', hostPorts: [0, 0] },
    ]);
    assert.throws(() => portRequests({ 'x/tcp': [] }, undefined, false), /invalid port specification: "x\/tcp"/);
    assert.throws(() => portRequests({ '80/tcp': [{ HostPort: '70000' }] }, undefined, false), /invalid hostPort/);
  });
  it('renders one atomic ruleset: masquerade, DNAT, isolation, icc', () => {
    const s = renderRuleset({
      table: 'berth_t',
      enabled: true,
      loopbackDnat: false,
      networks: [
        { bridge: 'b0', subnets: ['10.0.0.0/24'], subnets6: [], internal: false, icc: true, masquerade: true },
        { bridge: 'b1', subnets: ['10.0.1.0/24'], subnets6: [], internal: true, icc: false, masquerade: true },
      ],
      ports: [{ proto: 'tcp', hostIp: '', hostPort: 8080, containerIp: '10.0.0.2', containerPort: 80 }],
    });
    assert.match(s, /^table ip berth_t \{\}\ndelete table ip berth_t\n/);
    assert.match(s, /tcp dport 8080 dnat to 10\.0\.0\.2:80/);
    assert.match(s, /ip saddr 10\.0\.0\.0\/24 oifname != "b0" masquerade/);
    assert.doesNotMatch(s, /ip saddr 10\.0\.1\.0\/24 oifname != "b1" masquerade/);
    assert.match(s, /iifname "b0" oifname "b1" drop/);
    assert.match(s, /iifname "b1" oifname "b1" drop/);
    assert.match(s, /ip daddr != 127\.0\.0\.0\/8 fib daddr type local jump publish/);
    assert.doesNotMatch(s, /table ip6 berth_t \{\n/);
  });
});
