"""Where a webhook may send: the guard against server-side request forgery (SSRF).

A webhook makes our servers send requests to an address a user typed, so without a guard it could reach
what only they can reach (the database, a cloud metadata service at 169.254.169.254, an admin page on
localhost). The rules:
- https only; http only to the hosts of FACTURIER_WEBHOOK_ALLOWED_HOSTS (tests, development, a receiver on
  the same network);
- no user name or password in the address;
- every address the host name resolves to must be a public one (not private, loopback, link-local,
  reserved, multicast...), unless the host is in FACTURIER_WEBHOOK_ALLOWED_HOSTS. An IPv6 address that
  carries an IPv4 one (IPv4-mapped, IPv4-compatible, SIIT, NAT64, 6to4, Teredo) reaches that IPv4
  address through a translator or a tunnel, so it is judged by the IPv4 address it carries:
  64:ff9b::7f00:1 and 2002:7f00:1:: are 127.0.0.1.
The check runs when the webhook is saved (a clear message at once) and again before each delivery, whose
connection then goes to the very address that was checked (a name that resolves differently the second
time, "DNS rebinding", cannot slip through). Redirects are not followed.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

MAX_URL_LENGTH = 500


class AddressError(Exception):
    """An address a webhook may not use; the message says why, in the user's language."""


@dataclass(frozen=True)
class Target:
    """A checked address: where to connect (`ip`) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    ip: str


def _allowed_hosts() -> set[str]:
    return set(settings.FACTURIER_WEBHOOK_ALLOWED_HOSTS)


def _parts(url: str) -> SplitResult:
    url = url.strip()
    if not url:
        raise AddressError(_("Indiquez l'adresse à appeler."))
    if len(url) > MAX_URL_LENGTH:
        raise AddressError(
            _("L'adresse est trop longue (%(max)d caractères au plus).") % {"max": MAX_URL_LENGTH}
        )
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise AddressError(_("L'adresse ne doit pas contenir d'espace."))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise AddressError(_("Cette adresse n'est pas valide.")) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AddressError(_("Indiquez une adresse complète, commençant par https://."))
    if parts.username is not None or parts.password is not None:
        raise AddressError(_("L'adresse ne doit pas contenir d'identifiant ni de mot de passe."))
    if parts.scheme == "http" and parts.hostname.lower() not in _allowed_hosts():
        raise AddressError(_("Seules les adresses en https:// sont acceptées."))
    return parts


# IPv6 notations of an IPv4 address (beside IPv4-mapped ::ffff:0:0/96, which ipaddress knows): IPv4-
# compatible ::/96 (RFC 4291, deprecated, still routed as IPv4 by some stacks) and IPv4-translated
# ::ffff:0:0:0/96 (SIIT, RFC 2765). The address is the IPv4 one in its last 32 bits.
_IPV4_NOTATIONS = (ipaddress.IPv6Network("::/96"), ipaddress.IPv6Network("::ffff:0:0:0/96"))
# The NAT64 well-known prefix (RFC 6052): a translator sends the packets to the IPv4 address in the last
# 32 bits. Its local-use sibling (64:ff9b:1::/48, RFC 8215) puts the address where each network chooses
# and is not reachable from the Internet: refused.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def _last_32_bits(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def _routed_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses a translator or a tunnel sends this IPv6 address's packets to: NAT64, 6to4
    (2002::/16) and Teredo (2001::/32: its relay server and the client behind it)."""
    if address in _NAT64:
        return [_last_32_bits(address)]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    return []


def _is_public_ipv4(address: ipaddress.IPv4Address) -> bool:
    return address.is_global and not address.is_multicast


def _is_public(ip: str) -> bool:
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv4Address):
        return _is_public_ipv4(address)
    if address.ipv4_mapped is not None:
        return _is_public_ipv4(address.ipv4_mapped)
    if any(address in network for network in _IPV4_NOTATIONS):
        return _is_public_ipv4(_last_32_bits(address))
    if address in _LOCAL_NAT64 or not all(_is_public_ipv4(v4) for v4 in _routed_ipv4(address)):
        return False
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _refuse_private(host: str, ips: list[str]) -> None:
    if host.lower() in _allowed_hosts():
        return
    name = host.lower().rstrip(".")
    # "localhost" names are the machine itself (RFC 6761), whether or not this resolver knows them.
    if name == "localhost" or name.endswith(".localhost") or any(not _is_public(ip) for ip in ips):
        raise AddressError(
            _("Cette adresse mène à un réseau privé ou local : indiquez une adresse publique.")
        )


def _literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def check_url(url: str) -> str:
    """The address, cleaned, if a webhook may be saved with it; AddressError otherwise.

    A name that does not resolve now is accepted (it may be set up later): it is checked again at
    each delivery.
    """
    parts = _parts(url)
    host = parts.hostname or ""
    literal = _literal_ip(host)
    _refuse_private(host, [literal] if literal else _resolve(host, parts.port or 443))
    return url.strip()


def target_for(url: str) -> Target:
    """The checked address to connect to for a delivery; AddressError if there is none."""
    parts = _parts(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = _literal_ip(host)
    ips = [literal] if literal else _resolve(host, port)
    if not ips:
        raise AddressError(_("Le nom d'hôte « %(host)s » est introuvable.") % {"host": host})
    _refuse_private(host, ips)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=host, port=port, path=path, ip=ips[0])
