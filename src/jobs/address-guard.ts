import ipaddr from 'ipaddr.js'

/**
 * Decides which IP addresses the fetcher may connect to: public unicast only, unless an allow-listed
 * CIDR contains the address. IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 it maps.
 * Everything that is not plain `unicast` (private, loopback, link-local incl. the 169.254.169.254
 * metadata address, unique-local incl. fd00:ec2::254, CGNAT, multicast, reserved, NAT64, 6to4, …) is refused.
 */
export interface AddressGuard {
  isAllowed(address: string): boolean
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
  return {
    isAllowed(address) {
      if (!ipaddr.isValid(address)) return false
      let ip = ipaddr.parse(address)
      if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) {
        ip = (ip as ipaddr.IPv6).toIPv4Address()
      }
      for (const [range, bits] of allowed) {
        if (range.kind() === ip.kind() && ip.match(range, bits)) return true
      }
      return ip.range() === 'unicast'
    },
  }
}
