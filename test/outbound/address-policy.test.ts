import t from 'tap';
import { classifyAddress, mayConnect } from '../../src/outbound/address-policy.js';

// A classifier's unit test: no traffic is sent anywhere, whatever the address.
t.test('every special-purpose address is told apart from a public one (RFC 6890)', async (t) => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:7f00:1::', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:192.168.0.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['169.254.169.254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['2001::1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['not an address', 'reserved'],
    ['93.184.215.14', 'public'],
    ['172.32.0.1', 'public'],
    ['2606:4700::1111', 'public'],
    ['::ffff:93.184.215.14', 'public'],
  ];
  for (const [address, kind] of cases) t.equal(classifyAddress(address), kind, address);
});

t.test('only public addresses may be reached, and loopback where development allows it', async (t) => {
  t.ok(mayConnect('93.184.215.14', false));
  t.notOk(mayConnect('127.0.0.1', false));
  t.ok(mayConnect('127.0.0.1', true));
  t.ok(mayConnect('::ffff:127.0.0.1', true));
  for (const address of ['10.0.0.1', '169.254.169.254', 'fd00::1', '0.0.0.0']) t.notOk(mayConnect(address, true), `${address}, even in development`);
});
