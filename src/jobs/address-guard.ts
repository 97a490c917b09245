import ipaddr from 'ipaddr.js'

/**
 * Decides which IP addresses the fetcher may connect to: public unicast only, unless an allow-listed
 * CIDR contains the address. An IPv6 address that carries an IPv4 address is judged by that IPv4 address
 * (see embeddedIPv4). Everything else that is not plain `unicast` (private, loopback, link-local incl. the
 * 169.254.169.254 metadata address, unique-local incl. fd00:ec2::254, CGNAT, multicast, reserved, the
 * local-use NAT64 prefix 64:ff9b:1::/48, …) is refused.
 */
export interface AddressGuard {
  isAllowed(address: string): boolean
}

const v4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])

/**
 * The IPv4 addresses an IPv6 address carries, or undefined when it carries none: IPv4-mapped
 * (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, deprecated but
 * still routed by some stacks), NAT64 (`64:ff9b::a.b.c.d`), 6to4 (`2002:AABB:CCDD::`) and Teredo
 * (`2001:0:<server>:…:<client xor ffff:ffff>`, both the server and the client address).
 */
export function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4[] | undefined {
  const p = ip.parts
  const zero = (from: number, to: number) => p.slice(from, to).every((x) => x === 0)
  if (zero(0, 5) && p[5] === 0xffff) return [v4(p[6]!, p[7]!)]
  if (zero(0, 4) && p[4] === 0xffff && p[5] === 0) return [v4(p[6]!, p[7]!)]
  if (zero(0, 6)) return [v4(p[6]!, p[7]!)]
  if (p[0] === 0x64 && p[1] === 0xff9b && zero(2, 6)) return [v4(p[6]!, p[7]!)]
  if (p[0] === 0x2002) return [v4(p[1]!, p[2]!)]
  if (p[0] === 0x2001 && p[1] === 0) return [v4(p[2]!, p[3]!), v4(~p[6]! & 0xffff, ~p[7]! & 0xffff)]
  return undefined
}

export function createAddressGuard(allowCidrs: readonly string[]): AddressGuard {
  const allowed = allowCidrs.map((cidr) => {
    try {
      return ipaddr.parseCIDR(
        cidr.includes('/') ? cidr : `${cidr}/${ipaddr.parse(cidr).kind() === 'ipv4' ? 32 : 128}`,
      )
    } catch {
      throw new Error(`fetch.allowCidrs: '${cidr}' is not a CIDR`)
    }
  })
  const listed = (ip: ipaddr.IPv4 | ipaddr.IPv6) =>
    allowed.some(([range, bits]) => range.kind() === ip.kind() && ip.match(range, bits))
  const allowedV4 = (ip: ipaddr.IPv4) => listed(ip) || ip.range() === 'unicast'
  return {
    isAllowed(address) {
      if (!ipaddr.isValid(address)) return false
      const ip = ipaddr.parse(address)
      if (listed(ip)) return true
      if (ip.kind() === 'ipv4') return allowedV4(ip as ipaddr.IPv4)
      const embedded = embeddedIPv4(ip as ipaddr.IPv6)
      if (embedded) return embedded.every(allowedV4)
      return ip.range() === 'unicast'
    },
  }
}
