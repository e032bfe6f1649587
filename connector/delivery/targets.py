"""Where deliveries may go: the outbound-target guard against SSRF.

A subscriber hands us a URL and the delivery worker POSTs to it from inside our
network. Without a guard, anyone with an API key could make the connector call
services that are not on the internet at all: the cloud metadata endpoint (which
hands out credentials), an admin port on the same host, a database in the VPC. The
OWASP SSRF Prevention Cheat Sheet describes the attack and the defences used here:

* :func:`check_url`, at subscribe time: the URL must be https with a host and no
  credentials, and *every* address its name resolves to must be on the public
  internet.
* :func:`guarded_session`, at every attempt: each new connection resolves the name
  again, checks every answer, connects only to the addresses it checked and checks
  the peer it got before a byte is sent. A DNS answer that changed since subscribe
  time (DNS rebinding) is therefore refused too. Redirects are never followed,
  since each hop would be a new, unchecked target.
* :func:`read_capped`, and the session's header deadline: a subscriber's answer is
  read up to a size and a time, so a slow or endless one cannot hold a worker.

A refusal is a :class:`TargetRefused`, whose ``reason`` is written for the marketer
who pasted the URL. Inside the session it arrives wrapped in a
``requests.ConnectionError``; :func:`refusal_of` finds it again.
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any

import requests
import urllib3
from requests.adapters import DEFAULT_POOLBLOCK, HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.util import connection, parse_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

#: Longer URLs are refused: hook URLs from Zapier, Make and n8n are well under 200
#: characters, and 2048 is what old browsers and many proxies accept.
MAX_URL_LENGTH = 2048

#: Time a subscriber gets from our last request byte to its last header byte.
#: The read timeout only bounds the gap between two bytes, so without this an
#: answer sent a byte at a time could keep a worker busy for days.
HEADERS_DEADLINE_S = 15.0

_PUBLIC_ONLY = "deliveries go only to public internet addresses"

# Instance metadata services hand out cloud credentials, so they are refused even
# when private destinations are allowed for development.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack
        "169.254.170.2",  # AWS ECS task credentials
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd20:ce::254",  # GCP metadata over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud Classic
        # Azure WireServer: a public-range address that is only reachable from
        # inside Azure, so ``is_global`` alone would let it through.
        "168.63.129.16",
    )
)
_METADATA_NAMES = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
    }
)

_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # RFC 791: "this host on this net"
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598 carrier-grade NAT
_BROADCAST = ipaddress.ip_address("255.255.255.255")
_PRIVATE = tuple(
    ipaddress.ip_network(text)
    for text in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: IPv4 in the low 32 bits
# The IANA special-purpose registries mark these "not globally reachable", but the
# ipaddress module of Python 3.11 still calls them global.
_NOT_GLOBAL = tuple(
    ipaddress.ip_network(text)
    for text in (
        "192.0.0.0/24",
        "3fff::/20",
        "5f00::/16",
        # Deprecated, but still routed inside some networks: 6to4 relay anycast
        # (RFC 7526) and IPv6 site-local (RFC 3879).
        "192.88.99.0/24",
        "fec0::/10",
    )
)


class TargetRefused(Exception):
    """A delivery target the guard will not send to.

    ``code`` is one of ``bad_url``, ``not_https``, ``bad_port``, ``unresolvable``,
    ``private_address`` (loopback, private, link-local, carrier-grade NAT, multicast
    and other non-public ranges) or ``metadata_address`` (cloud metadata services,
    refused even when private destinations are allowed). ``reason`` says what is
    wrong in words a marketer can act on.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def __reduce__(self) -> tuple[type[TargetRefused], tuple[str, str]]:
        # Exceptions pickle their args, which here is the reason alone.
        return type(self), (self.code, self.reason)


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` has for TCP, in the order the system prefers."""
    # The same family choice as urllib3's own connections: IPv6 answers only when
    # this machine can use IPv6.
    family = connection.allowed_gai_family()
    answers = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


@dataclass(frozen=True)
class TargetPolicy:
    """What the guard lets through.

    ``allow_private`` is for development and tests: it admits ``http://`` and
    loopback, private and other non-public addresses (never cloud metadata).
    ``allowed_ports`` of ``None`` admits every port from 1 to 65535: self-hosted n8n
    commonly listens on 5678, and the address checks, not the port, are what keep
    deliveries off internal services. A set narrows it, e.g. ``frozenset({443})``.
    ``resolver`` maps a host name and port to addresses; inject one in tests so
    no real DNS is asked about made-up names.
    """

    allow_private: bool = False
    allowed_ports: frozenset[int] | None = None
    resolver: Resolver = system_resolver


def check_url(url: str, policy: TargetPolicy) -> None:
    """Refuse ``url`` as a delivery target unless ``policy`` admits it.

    Raises :class:`TargetRefused` if the syntax is wrong or if *any* address the
    host resolves to is disallowed: a name with one public and one private answer
    could be sent to either.
    """
    host, port = _location(url, policy)
    _permitted_addresses(host, port, policy)


def guarded_session(
    policy: TargetPolicy, *, headers_deadline_s: float = HEADERS_DEADLINE_S
) -> requests.Session:
    """A ``requests`` session that sends only where ``policy`` allows.

    Every new connection resolves the host with ``policy.resolver``, refuses the
    request if any answer is disallowed, connects only to those answers and checks
    the connected peer before sending. Redirects are returned as answers, never
    followed; proxies from the environment are ignored and explicit ones refused.
    Answers must finish their headers within ``headers_deadline_s``.

    A refusal raises ``requests.ConnectionError`` (so ``except
    requests.RequestException`` still catches it); use :func:`refusal_of` to tell
    it from an ordinary network failure.
    """
    session = _GuardedSession()
    # trust_env would take proxies, .netrc credentials and CA bundles from the
    # environment; a proxy in particular would make the address checks moot.
    session.trust_env = False
    adapter = _GuardedAdapter(policy, headers_deadline_s)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def refusal_of(error: BaseException) -> TargetRefused | None:
    """The :class:`TargetRefused` behind ``error``, or ``None`` if there is none."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, TargetRefused):
            return current
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        pending.extend((current.__cause__, current.__context__))
    return None


def read_capped(
    response: requests.Response, limit_bytes: int, *, deadline_s: float = 5.0
) -> bytes:
    """Up to ``limit_bytes`` of a streamed response body, read within ``deadline_s``.

    Returns what arrived by then, decoded as the response's content coding says,
    and never raises for a slow, broken or endless body. When it stops before the
    end, the connection is closed rather than drained: the rest is not ours to wait
    for. The response must come from ``stream=True``.
    """
    raw = response.raw
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        _shut(raw)

    # Socket timeouts bound each wait for a byte, not the whole read; a watchdog
    # that shuts the socket down is what bounds the total (urllib3's
    # HTTPResponse.shutdown exists for exactly this).
    alarm = WATCHDOG.arm(deadline_s, expire)
    body = bytearray()
    complete = False
    try:
        while len(body) < limit_bytes and not expired.is_set():
            chunk = raw.read1(limit_bytes - len(body), decode_content=True)
            if not chunk:
                complete = not expired.is_set()
                break
            body += chunk
    except (OSError, HTTPException, urllib3.exceptions.HTTPError):
        pass  # what arrived before the failure is all the subscriber said
    finally:
        WATCHDOG.disarm(alarm)
        if not complete:
            response.close()
    return bytes(body[:limit_bytes])


def _location(url: str, policy: TargetPolicy) -> tuple[str, int]:
    """Host and port of ``url`` after the syntax checks; no DNS is asked."""
    if not isinstance(url, str) or not url:
        raise TargetRefused("bad_url", "Enter the https:// address to deliver to.")
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(
            "bad_url", f"The address is longer than {MAX_URL_LENGTH} characters."
        )
    if any(char.isspace() or not char.isprintable() for char in url):
        raise TargetRefused(
            "bad_url",
            "The address contains spaces or invisible characters; copy it again "
            "without them.",
        )
    if "\\" in url:
        # Parsers disagree on backslashes (WHATWG reads them as "/"), which is how
        # "https://good\@evil" passes one check and connects somewhere else.
        raise TargetRefused("bad_url", "The address must not contain backslashes.")
    authority = url.partition("://")[2]
    for end in "/?#":
        authority = authority.partition(end)[0]
    try:
        raw = parse_url(url)
    except LocationParseError:
        port = authority.rpartition(":")[2]
        if port.isdigit() and int(port) > 65535:
            raise TargetRefused(
                "bad_port", f"Port {port} does not exist; ports go up to 65535."
            ) from None
        raise TargetRefused("bad_url", f"{url} is not a valid web address.") from None
    scheme = (raw.scheme or "").lower()
    if scheme != "https" and not (scheme == "http" and policy.allow_private):
        raise TargetRefused(
            "not_https",
            "The address must start with https://, so that call details travel "
            "encrypted.",
        )
    if "@" in authority:
        raise TargetRefused(
            "bad_url",
            "The address must not contain a user name or password (the part before "
            "@); deliveries are signed instead.",
        )
    if raw.port == 0:
        raise TargetRefused("bad_port", "Port 0 cannot receive deliveries.")
    try:
        # Check the URL exactly as requests will send it (IDNA-encoded host,
        # normalised case), so the check and the connection agree.
        prepared = parse_url(requests.Request("POST", url).prepare().url)
    except (requests.RequestException, LocationParseError, ValueError):
        raise TargetRefused("bad_url", f"{url} is not a valid web address.") from None
    if not prepared.host:
        raise TargetRefused("bad_url", "The address has no host name.")
    port = prepared.port or (443 if scheme == "https" else 80)
    if policy.allowed_ports is not None and port not in policy.allowed_ports:
        allowed = ", ".join(str(number) for number in sorted(policy.allowed_ports))
        raise TargetRefused(
            "bad_port", f"Port {port} is not allowed; use port {allowed}."
        )
    return prepared.host, port


def _permitted_addresses(host: str, port: int, policy: TargetPolicy) -> list[str]:
    """The addresses ``host`` may be reached at; refuses if any is disallowed."""
    name = host.strip("[]")
    key = name.lower().rstrip(".")
    literal = _literal(key)
    if literal is not None:
        _check_address(literal, None, policy)
        return [name if isinstance(literal, ipaddress.IPv6Address) else str(literal)]
    if key in _METADATA_NAMES:
        raise TargetRefused(
            "metadata_address",
            f"{key} is a cloud metadata service; deliveries never go there.",
        )
    if (key == "localhost" or key.endswith(".localhost")) and not policy.allow_private:
        # RFC 6761 section 6.3: these names always mean this machine.
        raise TargetRefused(
            "private_address",
            f"{key} always means the connector's own machine; {_PUBLIC_ONLY}.",
        )
    unresolvable = TargetRefused(
        "unresolvable",
        f"{key} could not be found; check the address for typos.",
    )
    try:
        answers = policy.resolver(name, port)
    except (OSError, UnicodeError):
        raise unresolvable from None
    if not answers:
        raise unresolvable
    for answer in answers:
        try:
            address = ipaddress.ip_address(answer)
        except ValueError:
            raise unresolvable from None
        _check_address(address, key, policy)
    return list(answers)


def _literal(host: str) -> IPAddress | None:
    """The address ``host`` spells, in standard or legacy numeric form."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # getaddrinfo takes inet_aton's forms too: 2130706433, 0x7f.1, 0177.0.0.1 and
    # 127.1 all mean 127.0.0.1, so they are addresses, not names, here as well.
    if host[:1].isdigit() and set(host) <= set("0123456789abcdefx."):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _check_address(address: IPAddress, host: str | None, policy: TargetPolicy) -> None:
    problem = _problem(address, policy.allow_private)
    if problem is None:
        return
    code, kind = problem
    where = f"{host} resolves to {address}," if host else f"{address} is"
    rule = "deliveries never go there" if code == "metadata_address" else _PUBLIC_ONLY
    raise TargetRefused(code, f"{where} {kind}; {rule}.")


def _problem(address: IPAddress, allow_private: bool) -> tuple[str, str] | None:
    """Why ``address`` may not be sent to, as (code, description), or ``None``."""
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        address = ipaddress.IPv6Address(int(address))  # fe80::1%eth0 is fe80::1
    if address in _METADATA_ADDRESSES:
        return "metadata_address", "a cloud metadata address"
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        problem = _problem(embedded, allow_private)
        if problem is None:
            return None
        code, kind = problem
        return code, f"{kind} ({embedded}) written as IPv6"
    if allow_private:
        return None
    kind = _special_kind(address)
    return None if kind is None else ("private_address", kind)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries and is routed to, if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d, RFC 4291 section 2.5.5.2
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour  # 2002:aabb:ccdd::/48, RFC 3056


def _special_kind(address: IPAddress) -> str | None:
    """What sort of non-public address this is, or ``None`` for a public one."""
    if address.is_loopback:
        return "a loopback address (the connector's own machine)"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified or address in _THIS_NETWORK:
        return "an address that stands for 'this machine'"
    if address.is_multicast:
        return "a multicast address"
    if address == _BROADCAST:
        return "the broadcast address"
    if address in _SHARED:
        return "a carrier-grade NAT address, shared inside an internet provider"
    if any(address in network for network in _PRIVATE):
        return "a private network address"
    if (
        address.is_private
        or address.is_reserved
        or not address.is_global
        or any(address in network for network in _NOT_GLOBAL)
    ):
        return "a special-purpose address that is not on the public internet"
    return None


class _Alarm:
    __slots__ = ("callback", "state")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.state = "armed"  # then "cancelled", or "running" and "done"


class Watchdog:
    """Runs callbacks at their deadlines from one thread, for every request.

    Each delivery needs two deadlines (headers, body). A ``threading.Timer`` for
    each started and joined two threads per delivery, a third of the worker's
    time per delivery; here one thread per process serves them all.
    """

    #: Cancelled alarms are dropped when they reach the front; past this many
    #: waiting, the queue is rebuilt without them.
    COMPACT_AT = 4096

    def __init__(self) -> None:
        self._pid = 0
        self._starting = threading.Lock()

    def _start(self) -> None:
        # Lazily, and again in a forked child, which inherits no threads.
        with self._starting:
            if self._pid == os.getpid():
                return
            self._condition = threading.Condition()
            self._queue: list[tuple[float, int, _Alarm]] = []
            self._order = itertools.count()
            threading.Thread(target=self._run, name="watchdog", daemon=True).start()
            self._pid = os.getpid()

    def forked(self) -> None:
        self._starting = threading.Lock()
        self._pid = 0

    def arm(self, delay_s: float, callback: Callable[[], None]) -> _Alarm:
        """Run ``callback`` in ``delay_s`` seconds unless disarmed first."""
        alarm = _Alarm(callback)
        if self._pid != os.getpid():
            self._start()
        entry = (time.monotonic() + delay_s, next(self._order), alarm)
        with self._condition:
            if len(self._queue) >= self.COMPACT_AT:
                self._queue = [e for e in self._queue if e[2].state == "armed"]
                heapq.heapify(self._queue)
            heapq.heappush(self._queue, entry)
            if self._queue[0] is entry:
                self._condition.notify()
        return alarm

    def disarm(self, alarm: _Alarm) -> None:
        """Cancel ``alarm``; once this returns its callback is finished or never
        runs, so the connection it guards can be used again safely."""
        with self._condition:
            if alarm.state == "armed":
                alarm.state = "cancelled"
            while alarm.state == "running":
                self._condition.wait()

    def _run(self) -> None:
        condition = self._condition
        with condition:
            while True:
                queue = self._queue
                while queue and queue[0][2].state != "armed":
                    heapq.heappop(queue)
                if not queue:
                    condition.wait()
                    continue
                left = queue[0][0] - time.monotonic()
                if left > 0:
                    condition.wait(left)
                    continue
                alarm = heapq.heappop(queue)[2]
                alarm.state = "running"
                condition.release()
                try:
                    alarm.callback()
                except Exception:  # noqa: BLE001 - one bad callback must not stop all
                    pass
                finally:
                    condition.acquire()
                    alarm.state = "done"
                    condition.notify_all()


#: The process's one watchdog.
WATCHDOG = Watchdog()
# A lock held by another thread at fork() stays held in the child forever.
os.register_at_fork(after_in_child=WATCHDOG.forked)


def _shut(raw: Any) -> None:
    """Unblock a read on ``raw`` from another thread, if it is still connected."""
    try:
        raw.shutdown()
    except (AttributeError, OSError, RuntimeError, ValueError):
        pass  # already released, closed or not a socket: nothing left to unblock


class _GuardedConnect:
    """Connection behaviour shared by the plain and TLS guarded connections."""

    # Provided by urllib3's HTTPConnection, which every subclass also derives from.
    sock: socket.socket | None
    host: str
    port: int
    timeout: Any
    source_address: tuple[str, int] | None
    socket_options: Any
    _dns_host: str

    def __init__(
        self,
        *args: Any,
        target_policy: TargetPolicy,
        headers_deadline_s: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.target_policy = target_policy
        self.headers_deadline_s = headers_deadline_s

    def _new_conn(self) -> socket.socket:
        """Resolve, check every answer, connect to one of them, check the peer."""
        try:
            addresses = _permitted_addresses(
                self._dns_host, self.port, self.target_policy
            )
        except TargetRefused as refusal:
            if refusal.code != "unresolvable":
                raise
            # Not a policy matter at send time: DNS may be back on the next attempt.
            raise NameResolutionError(
                self.host,
                self,
                socket.gaierror(refusal.reason),  # type: ignore[arg-type]
            ) from refusal
        sock = self._connect_any(addresses)
        try:
            _check_peer(sock, self.host, self.target_policy)
        except TargetRefused:
            sock.close()
            raise
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock

    def _connect_any(self, addresses: list[str]) -> socket.socket:
        # Connecting to the checked addresses, not the name, is what closes the gap
        # between check and connect that DNS rebinding uses.
        failure: OSError | None = None
        for address in addresses:
            try:
                return connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as error:
                failure = error
        if isinstance(failure, TimeoutError):
            raise ConnectTimeoutError(
                self, f"connecting to {self.host} took over {self.timeout} s"
            ) from failure
        raise NewConnectionError(
            self,  # type: ignore[arg-type]
            f"could not connect to {self.host}: {failure}",
        ) from failure

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        """The response head, or TimeoutError if it takes longer than the deadline."""
        sock = self.sock
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            _shut_socket(sock)

        alarm = WATCHDOG.arm(self.headers_deadline_s, expire)
        try:
            response = super().getresponse(*args, **kwargs)  # type: ignore[misc]
        except (OSError, HTTPException) as error:
            if expired.is_set():
                raise self._too_slow() from error
            raise
        finally:
            WATCHDOG.disarm(alarm)
        if expired.is_set():
            # Cut off mid-head, http.client may still hand back what it parsed;
            # that is not an answer the subscriber finished giving.
            response.close()
            raise self._too_slow()
        return response

    def _too_slow(self) -> TimeoutError:
        # urllib3 reports a TimeoutError here as a read timeout, which is what it
        # is to the caller: requests raises ReadTimeout.
        return TimeoutError(
            f"{self.host} took longer than {self.headers_deadline_s:g} s "
            "to send its response headers"
        )


def _shut_socket(sock: socket.socket | None) -> None:
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: nothing left to unblock


def _check_peer(sock: socket.socket, host: str, policy: TargetPolicy) -> None:
    """Refuse the connection if the peer it reached is disallowed."""
    peer = ipaddress.ip_address(sock.getpeername()[0])
    problem = _problem(peer, policy.allow_private)
    if problem is not None:
        code, kind = problem
        rule = (
            "deliveries never go there" if code == "metadata_address" else _PUBLIC_ONLY
        )
        raise TargetRefused(code, f"{host} connected to {peer}, {kind}; {rule}.")


class _GuardedHTTPConnection(_GuardedConnect, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnect, HTTPSConnection):
    pass


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedPoolManager(urllib3.PoolManager):
    """A pool manager whose pools make guarded connections."""

    def __init__(
        self, policy: TargetPolicy, headers_deadline_s: float, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.guard = {
            "target_policy": policy,
            "headers_deadline_s": headers_deadline_s,
        }
        self.pool_classes_by_scheme = {
            "http": _GuardedHTTPConnectionPool,
            "https": _GuardedHTTPSConnectionPool,
        }

    def _new_pool(
        self,
        scheme: str,
        host: str,
        port: int,
        request_context: dict[str, Any] | None = None,
    ) -> HTTPConnectionPool:
        # urllib3 documents _new_pool as the hook for customising pools; keyword
        # arguments a pool does not know are handed on to its connections.
        context = dict(
            self.connection_pool_kw if request_context is None else request_context
        )
        context.update(self.guard)
        return super()._new_pool(scheme, host, port, context)


class _GuardedAdapter(HTTPAdapter):
    """Checks each request's URL, then sends it over guarded connections."""

    def __init__(self, policy: TargetPolicy, headers_deadline_s: float) -> None:
        self.target_policy = policy
        self.headers_deadline_s = headers_deadline_s
        super().__init__()

    def init_poolmanager(
        self,
        connections: int,
        maxsize: int,
        block: bool = DEFAULT_POOLBLOCK,
        **pool_kwargs: Any,
    ) -> None:
        self._pool_connections = connections
        self._pool_maxsize = maxsize
        self._pool_block = block
        self.poolmanager = _GuardedPoolManager(
            self.target_policy,
            self.headers_deadline_s,
            num_pools=connections,
            maxsize=maxsize,
            block=block,
            **pool_kwargs,
        )

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise ValueError(
            "guarded sessions connect directly: through a proxy, the address "
            "checks would see the proxy instead of the subscriber"
        )

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        try:
            _location(request.url or "", self.target_policy)
            return super().send(request, *args, **kwargs)
        except TargetRefused as refusal:
            raise requests.ConnectionError(refusal, request=request) from refusal


class _GuardedSession(requests.Session):
    def resolve_redirects(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        # A redirect is a new target the subscriber picked after our checks, so it
        # is handed back as the answer (a 3xx is a failed delivery), never followed.
        # Overriding this rather than relying on allow_redirects=False matters:
        # requests calls it even then, to fill Response.next, and it reads the
        # whole 3xx body first, however large or slow, stream=True or not.
        return iter(())
