import ipaddr from 'ipaddr.js'
import { describe, expect, it } from 'vitest'
import { createAddressGuard, embeddedIPv4 } from '../../src/jobs/address-guard.js'

/**
 * IPv6 addresses that carry an IPv4 address are judged by that address (issue 13, finding 11):
 * `::7f00:1` is `::127.0.0.1`, and was classified as public unicast before.
 */
describe('address guard: IPv6 forms that embed IPv4', () => {
  const strict = createAddressGuard([])

  // [form, refused example (embeds a refused IPv4), allowed example (embeds a public IPv4)]
  const forms: [string, string, string][] = [
    ['IPv4-compatible ::a.b.c.d', '::7f00:1', '::808:808'],
    ['IPv4-compatible, dotted', '::127.0.0.1', '::93.184.216.34'],
    ['IPv4-compatible, private', '::10.0.0.1', '::1.1.1.1'],
    ['IPv4-compatible, metadata', '::169.254.169.254', '::8.8.4.4'],
    ['IPv4-mapped', '::ffff:127.0.0.1', '::ffff:8.8.8.8'],
    ['IPv4-mapped, hex', '::ffff:a00:1', '::ffff:808:808'],
    ['IPv4-translated ::ffff:0:a.b.c.d', '::ffff:0:7f00:1', '::ffff:0:808:808'],
    ['NAT64 64:ff9b::/96', '64:ff9b::7f00:1', '64:ff9b::808:808'],
    ['NAT64, dotted', '64:ff9b::192.168.0.1', '64:ff9b::93.184.216.34'],
    ['6to4 2002::/16', '2002:7f00:1::1', '2002:808:808::1'],
    ['6to4, private', '2002:c0a8:1::', '2002:5db8:d822::'],
    // Teredo: server 65.54.227.120 (public); the client is stored xor ffff:ffff.
    // 80ff:fffe = ~(7f00:0001) → client 127.0.0.1; c0a8:… is public client 63.87.x.x.
    [
      'Teredo 2001::/32, loopback client',
      '2001:0:4136:e378:8000:63bf:80ff:fffe',
      '2001:0:4136:e378:8000:63bf:c0a8:fffe',
    ],
    ['Teredo, private server', '2001:0:a00:1:8000:63bf:c0a8:fffe', '2001:0:808:808:8000:63bf:c0a8:fffe'],
  ]

  it.each(forms)('%s: refuses %s, allows %s', (_form, refused, allowed) => {
    expect(strict.isAllowed(refused)).toBe(false)
    expect(strict.isAllowed(allowed)).toBe(true)
  })

  it('extracts the embedded address of each form', () => {
    const of = (a: string) => embeddedIPv4(ipaddr.parse(a) as ipaddr.IPv6)?.map((ip) => ip.toString())
    expect(of('::7f00:1')).toEqual(['127.0.0.1'])
    expect(of('::ffff:7f00:1')).toEqual(['127.0.0.1'])
    expect(of('::ffff:0:7f00:1')).toEqual(['127.0.0.1'])
    expect(of('64:ff9b::a00:1')).toEqual(['10.0.0.1'])
    expect(of('2002:a9fe:a9fe::1')).toEqual(['169.254.169.254'])
    expect(of('2001:0:4136:e378:8000:63bf:80ff:fffe')).toEqual(['65.54.227.120', '127.0.0.1'])
    expect(of('2606:2800:220:1:248:1893:25c8:1946')).toBeUndefined()
  })

  it('still refuses :: and ::1, and the local-use NAT64 prefix 64:ff9b:1::/48', () => {
    for (const a of ['::', '::1', '::0.0.0.1', '64:ff9b:1::808:808']) expect(strict.isAllowed(a)).toBe(false)
  })

  it('allows an embedded address that an allow-listed CIDR contains', () => {
    const guard = createAddressGuard(['127.0.0.0/8'])
    for (const a of ['::7f00:1', '::ffff:127.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::1']) {
      expect(guard.isAllowed(a)).toBe(true)
    }
    expect(guard.isAllowed('::a00:1')).toBe(false)
  })
})
