/**
 * The IPv6 answer every branch name gets besides its IPv4 address: the IPv4-mapped address
 * `::ffff:<ip>`. Resolvers that ask for A and AAAA (macOS waits ~5 s for an AAAA that never comes)
 * get an answer at once, and an IPv6 client connecting to it reaches the same branch's IPv4
 * listener through a dual-stack socket, or is refused at once; never whatever listens on `[::1]`.
 * Pure. The README's "Names that resolve at once" has the measurements behind the choice.
 */

/** The IPv6 name address of a branch IP: `127.0.0.12` → `::ffff:127.0.0.12`. */
export function ipv6NameAddress(ip: string): string {
  return `::ffff:${ip}`;
}

/** Whether `address` is the IPv6 name address of some IPv4 address. */
export function isIpv6NameAddress(address: string): boolean {
  return /^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(address);
}
