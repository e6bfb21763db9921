"""The address of the client behind the proxies we trust.

A load balancer or reverse proxy connects to the application itself: its own address is the peer
(REMOTE_ADDR), and it appends the address it saw to X-Forwarded-For. Anyone can send that header, so it
is read from the right, one hop at a time, and only as long as the hop that wrote the entry is a proxy
we trust: the first address that is not one of ours is the client. Reading it from the left would let
a client choose its own address, and so its own login and API budgets.
"""

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: list[str]) -> list[Network]:
    """CIDRs or single addresses ("10.0.0.0/8", "2001:db8::1") as networks; ValueError names a bad one."""
    networks: list[Network] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is neither an IP address nor a network (CIDR).") from None
    return networks


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as proxies write it: bare, IPv4 with a port, or IPv6 in brackets with one."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted: list[Network]) -> str | None:
    """The client's address: the peer, or, when the peer is a trusted proxy, the nearest untrusted hop
    of X-Forwarded-For (walked from the right). A malformed entry written by a trusted proxy ends the
    walk at that proxy, which is then taken as the client: limits stay counted, never skipped."""
    peer = _address(remote_addr or "")
    if peer is None:
        return remote_addr or None
    if not trusted or not forwarded_for:
        return str(peer)
    for entry in reversed(forwarded_for.split(",")):
        if not any(peer in network for network in trusted):
            break
        hop = _address(entry)
        if hop is None:
            break
        peer = hop
    return str(peer)
