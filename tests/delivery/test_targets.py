"""Delivery targets: only public https addresses, checked again at every connection."""

from __future__ import annotations

import datetime
import gzip
import ipaddress
import pickle
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connector.delivery.targets import (
    TargetPolicy,
    TargetRefused,
    _check_peer,
    check_url,
    guarded_session,
    read_capped,
    refusal_of,
    system_resolver,
)

# --- Network safety: these tests may reach loopback and nothing else. -------------

_WATCHING = threading.Event()


def _loopback_only(event: str, args: tuple) -> None:
    """Abort any DNS lookup of a real name or connection beyond 127.0.0.0/8."""
    if not _WATCHING.is_set():
        return
    if event == "socket.getaddrinfo":
        host = args[0]
        if isinstance(host, bytes):
            host = host.decode()
        if host in (None, "localhost") or _is_address(host):
            return
        raise RuntimeError(f"test tried to resolve {host!r}")
    if event == "socket.connect" and isinstance(args[1], tuple):
        host = str(args[1][0])
        if not ipaddress.ip_address(host.partition("%")[0]).is_loopback:
            raise RuntimeError(f"test tried to connect to {host}")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return False
    return True


sys.addaudithook(_loopback_only)


@pytest.fixture(autouse=True)
def loopback_only() -> Iterator[None]:
    """Every test here runs with lookups and connections fenced to loopback."""
    _WATCHING.set()
    try:
        yield
    finally:
        _WATCHING.clear()


# --- A made-up DNS zone and a scriptable loopback server. -------------------------


class Zone:
    """An injected resolver: fixed answers per name; a list of lists is a sequence."""

    def __init__(self, records: dict[str, list]) -> None:
        self.answers = {name: list(answer) for name, answer in records.items()}
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        key = host.lower().rstrip(".")
        self.lookups.append(key)
        if key not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answer = self.answers[key]
        if answer and isinstance(answer[0], list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return list(answer)


ZONE = {
    "hooks.example.invalid": ["52.0.0.10"],
    "dual.example.invalid": ["52.0.0.10", "2600:1f18::10"],
    "mixed.example.invalid": ["52.0.0.10", "10.0.0.5"],
    "internal.example.invalid": ["10.0.0.5"],
    "meta.example.invalid": ["169.254.169.254"],
    "v6local.example.invalid": ["fd12:3456::1"],
    "empty.example.invalid": [],
    "junk.example.invalid": ["not-an-address"],
    "xn--bcher-kva.example.invalid": ["52.0.0.10"],
    "localhost": ["127.0.0.1"],
}

Reply = Callable[[socket.socket, threading.Event], None]


class Stub:
    """A loopback HTTP server answering every request with one scripted reply."""

    def __init__(self, reply: Reply, tls: ssl.SSLContext | None = None) -> None:
        self.reply = reply
        self.tls = tls
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.requests: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Stub:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            try:
                sock.settimeout(2)
                if self.tls is not None:
                    sock = self.tls.wrap_socket(sock, server_side=True)
                request = _read_request(sock)
                if request:
                    self.requests.append(request)
                    self.reply(sock, self.stop)
            except (OSError, ssl.SSLError):
                pass  # the client hung up, as several tests make it do
            finally:
                sock.close()


def _read_request(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += sock.recv(4096)
    return head + b"\r\n\r\n" + body


def answer(status: str, headers: str = "", body: bytes = b"") -> Reply:
    def reply(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(
            f"HTTP/1.1 {status}\r\n{headers}Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )

    return reply


def dribble(head: bytes, byte: bytes = b"a", every_s: float = 0.02) -> Reply:
    """Send ``head`` and then one byte every ``every_s``, as long as anyone listens."""

    def reply(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(head)
        while not stop.wait(every_s):
            sock.sendall(byte)

    return reply


DEV = TargetPolicy(allow_private=True, resolver=Zone(ZONE))


def strict() -> TargetPolicy:
    return TargetPolicy(resolver=Zone(ZONE))


# --- check_url --------------------------------------------------------------------

CASES = [
    # (url, refusal code or None for allowed)
    ("https://hooks.example.invalid/hooks/catch/1/abc/", None),
    ("https://HOOKS.Example.INVALID./x", None),
    ("https://dual.example.invalid/x", None),
    ("https://hooks.example.invalid:5678/webhook/x", None),
    ("https://hooks.example.invalid:443/x?a=1#f", None),
    ("https://52.0.0.10/x", None),
    ("https://[2606:4700::1111]/x", None),
    ("https://[::ffff:52.0.0.10]/x", None),
    ("https://bücher.example.invalid/x", None),
    ("http://hooks.example.invalid/x", "not_https"),
    ("HTTP://hooks.example.invalid/x", "not_https"),
    ("ftp://hooks.example.invalid/x", "not_https"),
    ("hooks.example.invalid/x", "not_https"),
    ("//hooks.example.invalid/x", "not_https"),
    ("", "bad_url"),
    ("https://", "bad_url"),
    ("https:///x", "bad_url"),
    ("https://user:pass@hooks.example.invalid/x", "bad_url"),
    ("https://@hooks.example.invalid/x", "bad_url"),
    ("https://hooks.example.invalid\\@52.0.0.10/x", "bad_url"),
    (" https://hooks.example.invalid/x", "bad_url"),
    ("https://hooks.example.invalid/x\n", "bad_url"),
    ("https://hooks.example.invalid/a b", "bad_url"),
    ("https://hooks.example.invalid/" + "x" * 2048, "bad_url"),
    ("https://hooks.example.invalid:0/x", "bad_port"),
    ("https://hooks.example.invalid:65536/x", "bad_port"),
    ("https://hooks.example.invalid:99999/x", "bad_port"),
    ("https://nowhere.example.invalid/x", "unresolvable"),
    ("https://empty.example.invalid/x", "unresolvable"),
    ("https://junk.example.invalid/x", "unresolvable"),
    ("https://internal.example.invalid/x", "private_address"),
    ("https://mixed.example.invalid/x", "private_address"),
    ("https://v6local.example.invalid/x", "private_address"),
    ("https://localhost/x", "private_address"),
    ("https://app.localhost/x", "private_address"),
    ("https://127.0.0.1/x", "private_address"),
    ("https://127.1/x", "private_address"),
    ("https://2130706433/x", "private_address"),
    ("https://0x7f000001/x", "private_address"),
    ("https://0177.0.0.1/x", "private_address"),
    ("https://10.0.0.5/x", "private_address"),
    ("https://172.16.0.1/x", "private_address"),
    ("https://192.168.1.1/x", "private_address"),
    ("https://100.64.0.1/x", "private_address"),
    ("https://169.254.10.10/x", "private_address"),
    ("https://0.0.0.0/x", "private_address"),
    ("https://0.1.2.3/x", "private_address"),
    ("https://255.255.255.255/x", "private_address"),
    ("https://224.0.0.1/x", "private_address"),
    ("https://240.0.0.1/x", "private_address"),
    ("https://198.18.0.1/x", "private_address"),
    ("https://192.0.2.1/x", "private_address"),
    ("https://192.0.0.8/x", "private_address"),
    ("https://[::1]/x", "private_address"),
    ("https://[::]/x", "private_address"),
    ("https://[fe80::1]/x", "private_address"),
    ("https://[fe80::1%25eth0]/x", "private_address"),
    ("https://[fc00::1]/x", "private_address"),
    ("https://[ff02::1]/x", "private_address"),
    ("https://[2001:db8::1]/x", "private_address"),
    ("https://[3fff::1]/x", "private_address"),
    ("https://[::ffff:127.0.0.1]/x", "private_address"),
    ("https://[::ffff:10.0.0.5]/x", "private_address"),
    ("https://[64:ff9b::a00:5]/x", "private_address"),
    ("https://[2002:a00:5::]/x", "private_address"),
    ("https://169.254.169.254/latest/meta-data/", "metadata_address"),
    ("https://[::ffff:169.254.169.254]/x", "metadata_address"),
    ("https://[fd00:ec2::254]/x", "metadata_address"),
    ("https://100.100.100.200/x", "metadata_address"),
    ("https://168.63.129.16/x", "metadata_address"),
    ("https://metadata.google.internal/computeMetadata/v1/", "metadata_address"),
    ("https://METADATA.GOOGLE.INTERNAL./x", "metadata_address"),
    ("https://meta.example.invalid/x", "metadata_address"),
]


@pytest.mark.parametrize(
    ("url", "code"), CASES, ids=[url[:60] or "<empty>" for url, _ in CASES]
)
def test_check_url_admits_only_public_https(url: str, code: str | None) -> None:
    """Production policy: https to public addresses only; every refusal has a code."""
    if code is None:
        check_url(url, strict())
        return
    with pytest.raises(TargetRefused) as refused:
        check_url(url, strict())
    assert refused.value.code == code
    assert refused.value.reason == str(refused.value)
    assert pickle.loads(pickle.dumps(refused.value)).code == code


DEV_CASES = [
    ("http://127.0.0.1:8080/hook", None),
    ("http://localhost:5678/webhook/x", None),
    ("https://10.0.0.5/x", None),
    ("https://internal.example.invalid/x", None),
    ("https://[::1]:8443/x", None),
    ("https://hooks.example.invalid/x", None),
    ("ftp://127.0.0.1/x", "not_https"),
    ("http://user:pw@127.0.0.1/x", "bad_url"),
    ("http://127.0.0.1:0/x", "bad_port"),
    ("https://169.254.169.254/latest/meta-data/", "metadata_address"),
    ("https://metadata.google.internal/x", "metadata_address"),
    ("https://meta.example.invalid/x", "metadata_address"),
    ("https://[::ffff:169.254.169.254]/x", "metadata_address"),
]


@pytest.mark.parametrize(("url", "code"), DEV_CASES, ids=[u for u, _ in DEV_CASES])
def test_development_policy_admits_private_but_never_metadata(
    url: str, code: str | None
) -> None:
    """allow_private opens http and private ranges, but not cloud metadata."""
    if code is None:
        check_url(url, DEV)
        return
    with pytest.raises(TargetRefused) as refused:
        check_url(url, DEV)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://hooks.example.invalid/x", None),
        ("https://hooks.example.invalid:443/x", None),
        ("https://hooks.example.invalid:8443/x", "bad_port"),
    ],
    ids=["default port", "explicit 443", "8443"],
)
def test_allowed_ports_narrow_the_policy(url: str, code: str | None) -> None:
    """A port set admits only those ports, the scheme's default included."""
    policy = TargetPolicy(allowed_ports=frozenset({443}), resolver=Zone(ZONE))
    if code is None:
        check_url(url, policy)
        return
    with pytest.raises(TargetRefused) as refused:
        check_url(url, policy)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "https://internal.example.invalid/x",
            "internal.example.invalid resolves to 10.0.0.5, a private network "
            "address; deliveries go only to public internet addresses.",
        ),
        (
            "https://169.254.169.254/x",
            "169.254.169.254 is a cloud metadata address; deliveries never go there.",
        ),
        (
            "http://hooks.example.invalid/x",
            "The address must start with https://, so that call details travel "
            "encrypted.",
        ),
    ],
    ids=["private name", "metadata literal", "plain http"],
)
def test_reasons_are_plain_language(url: str, reason: str) -> None:
    """The reason names the host, the address and the rule, in a marketer's words."""
    with pytest.raises(TargetRefused) as refused:
        check_url(url, strict())
    assert refused.value.reason == reason


def test_address_literals_are_not_looked_up() -> None:
    """An IP literal is judged as it stands; the resolver is never asked."""
    zone = Zone({})
    with pytest.raises(TargetRefused):
        check_url("https://10.0.0.5/x", TargetPolicy(resolver=zone))
    check_url("https://52.0.0.10/x", TargetPolicy(resolver=zone))
    assert zone.lookups == []


@pytest.mark.parametrize(
    "failure",
    [socket.gaierror(socket.EAI_AGAIN, "Temporary failure"), UnicodeError("label")],
    ids=["dns failure", "bad label"],
)
def test_resolver_failures_are_unresolvable(failure: Exception) -> None:
    """A resolver that raises makes the target unresolvable, not a crash."""

    def resolver(host: str, port: int) -> list[str]:
        raise failure

    with pytest.raises(TargetRefused) as refused:
        check_url("https://hooks.example.invalid/x", TargetPolicy(resolver=resolver))
    assert refused.value.code == "unresolvable"


def test_system_resolver_answers_localhost_from_the_hosts_file() -> None:
    """The default resolver returns every address of a name, here loopback."""
    assert "127.0.0.1" in system_resolver("localhost", 443)


# --- guarded_session --------------------------------------------------------------


def test_rebinding_between_check_and_send_is_refused() -> None:
    """A name that passed at subscribe time but now points inward is not contacted."""
    with Stub(answer("204 No Content")) as stub:
        zone = Zone({"rebind.example.invalid": [["52.0.0.10"], ["127.0.0.1"]]})
        policy = TargetPolicy(resolver=zone)
        url = f"https://rebind.example.invalid:{stub.port}/hook"
        check_url(url, policy)

        with guarded_session(policy) as session:
            with pytest.raises(requests.ConnectionError) as failed:
                session.post(url, data=b"{}", timeout=2)

    refusal = refusal_of(failed.value)
    assert refusal is not None and refusal.code == "private_address"
    assert "127.0.0.1" in refusal.reason
    assert zone.lookups == ["rebind.example.invalid", "rebind.example.invalid"]
    assert stub.connections == 0


def test_peer_check_refuses_a_disallowed_peer_after_connecting() -> None:
    """The last line: a socket that reached a loopback peer is refused before use."""
    with Stub(answer("204 No Content")) as stub:
        with socket.create_connection(("127.0.0.1", stub.port), timeout=2) as sock:
            with pytest.raises(TargetRefused) as refused:
                _check_peer(sock, "rebind.example.invalid", TargetPolicy())
            _check_peer(sock, "rebind.example.invalid", DEV)
    assert refused.value.code == "private_address"
    assert refused.value.reason.startswith(
        "rebind.example.invalid connected to 127.0.0.1, a loopback address"
    )


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://127.0.0.1:{port}/hook", "private_address"),
        ("https://localhost:{port}/hook", "private_address"),
        ("http://hooks.example.invalid:{port}/hook", "not_https"),
        ("https://u:p@hooks.example.invalid:{port}/hook", "bad_url"),
    ],
    ids=["loopback literal", "localhost", "plain http", "credentials"],
)
def test_session_refuses_before_connecting(url: str, code: str) -> None:
    """Each send is checked again; a refused target sees no connection at all."""
    with Stub(answer("204 No Content")) as stub:
        with guarded_session(strict()) as session:
            with pytest.raises(requests.ConnectionError) as failed:
                session.post(url.format(port=stub.port), data=b"{}", timeout=2)
    refusal = refusal_of(failed.value)
    assert refusal is not None and refusal.code == code
    assert stub.connections == 0


def test_session_connects_to_the_checked_address() -> None:
    """The connection goes to the resolver's answer, with the name in Host."""
    with Stub(answer("204 No Content")) as stub:
        policy = TargetPolicy(
            allow_private=True,
            resolver=Zone({"hooks.example.invalid": ["127.0.0.1"]}),
        )
        with guarded_session(policy) as session:
            response = session.post(
                f"http://hooks.example.invalid:{stub.port}/hook",
                data=b'{"event":"call_ended"}',
                timeout=2,
            )
    assert response.status_code == 204
    assert len(stub.requests) == 1
    assert f"Host: hooks.example.invalid:{stub.port}".encode() in stub.requests[0]
    assert stub.requests[0].endswith(b'{"event":"call_ended"}')


def test_tls_verifies_the_name_while_connecting_to_the_checked_address(
    tmp_path,
) -> None:
    """Pinning the address keeps SNI and certificate checks on the host name."""
    cert, key = _self_signed("hooks.example.invalid", tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    with Stub(answer("204 No Content"), tls=tls) as stub:
        policy = TargetPolicy(
            allow_private=True,
            resolver=Zone({"hooks.example.invalid": ["127.0.0.1"]}),
        )
        with guarded_session(policy) as session:
            response = session.post(
                f"https://hooks.example.invalid:{stub.port}/hook",
                data=b"{}",
                timeout=2,
                verify=str(cert),
            )
    assert response.status_code == 204


@pytest.mark.parametrize(
    "options",
    [{}, {"allow_redirects": False}, {"allow_redirects": True}],
    ids=["post default", "allow_redirects=False", "allow_redirects=True"],
)
def test_redirects_are_returned_not_followed(options: dict) -> None:
    """A 302 is the answer; the redirect target gets no request, even when asked."""
    with Stub(answer("302 Found", "Location: /elsewhere\r\n")) as stub:
        with guarded_session(DEV) as session:
            response = session.post(
                f"http://127.0.0.1:{stub.port}/hook", data=b"{}", timeout=2, **options
            )
    assert response.status_code == 302
    assert response.history == []
    assert len(stub.requests) == 1
    assert stub.requests[0].startswith(b"POST /hook ")


@pytest.mark.timeout(5)
def test_a_redirect_body_is_not_read_behind_the_callers_back() -> None:
    """A 3xx with an endless body returns at once; requests does not drain it."""
    head = b"HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 100000\r\n\r\n"
    with Stub(dribble(head)) as stub:
        with guarded_session(DEV) as session:
            started = time.monotonic()
            response = session.post(
                f"http://127.0.0.1:{stub.port}/hook",
                data=b"{}",
                timeout=2,
                allow_redirects=False,
                stream=True,
            )
            with response:
                elapsed = time.monotonic() - started
                assert read_capped(response, 10, deadline_s=1) == b"a" * 10
    assert response.status_code == 302
    assert elapsed < 0.5


def test_proxies_from_the_environment_are_ignored(monkeypatch) -> None:
    """HTTP(S)_PROXY cannot route deliveries around the address checks."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    with Stub(answer("204 No Content")) as stub:
        with guarded_session(DEV) as session:
            response = session.post(
                f"http://127.0.0.1:{stub.port}/hook", data=b"{}", timeout=2
            )
    assert response.status_code == 204


def test_explicit_proxies_are_refused() -> None:
    """A proxy would hide the subscriber's address, so the session will not use one."""
    with guarded_session(DEV) as session:
        with pytest.raises(ValueError, match="connect directly"):
            session.post(
                "http://127.0.0.1:9/hook",
                proxies={"http": "http://127.0.0.1:9"},
                timeout=2,
            )


@pytest.mark.timeout(5)
def test_slow_headers_are_cut_off_at_the_deadline() -> None:
    """A subscriber dribbling its headers is dropped after the header deadline."""
    with Stub(dribble(b"HTTP/1.1 200 OK\r\nX-Slow: ")) as stub:
        with guarded_session(DEV, headers_deadline_s=0.3) as session:
            started = time.monotonic()
            with pytest.raises(requests.ReadTimeout) as failed:
                session.post(f"http://127.0.0.1:{stub.port}/", data=b"{}", timeout=5)
            elapsed = time.monotonic() - started
    assert 0.25 < elapsed < 2
    assert refusal_of(failed.value) is None


@pytest.mark.parametrize(
    ("error", "found"),
    [
        (requests.ConnectionError("connection refused"), False),
        (requests.ConnectionError(TargetRefused("bad_url", "x")), True),
        (TargetRefused("bad_url", "x"), True),
        (ValueError("other"), False),
    ],
    ids=["network failure", "wrapped refusal", "bare refusal", "unrelated"],
)
def test_refusal_of_tells_refusals_from_network_failures(
    error: Exception, found: bool
) -> None:
    """The worker can tell "we would not send" from "we could not reach"."""
    assert (refusal_of(error) is not None) is found


# --- read_capped ------------------------------------------------------------------


def _get(stub: Stub) -> tuple[requests.Session, requests.Response]:
    session = guarded_session(DEV)
    response = session.get(f"http://127.0.0.1:{stub.port}/", stream=True, timeout=5)
    return session, response


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (answer("200 OK", body=b"x" * 100_000), b"x" * 4096),
        (answer("200 OK", body=b"accepted"), b"accepted"),
        (
            answer(
                "200 OK",
                "Content-Encoding: gzip\r\n",
                gzip.compress(b"\0" * 5_000_000),
            ),
            b"\0" * 4096,
        ),
    ],
    ids=["large body", "short body", "gzip bomb"],
)
def test_read_capped_stops_at_the_limit(reply: Reply, expected: bytes) -> None:
    """At most limit bytes are read, after decoding, and short bodies come whole."""
    with Stub(reply) as stub:
        session, response = _get(stub)
        with session, response:
            assert read_capped(response, 4096) == expected


@pytest.mark.timeout(5)
@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;",
    ],
    ids=["dribbled body", "dribbled chunk header"],
)
def test_read_capped_stops_at_the_deadline(head: bytes) -> None:
    """A body sent a byte at a time is cut off at the deadline with what arrived."""
    with Stub(dribble(head)) as stub:
        session, response = _get(stub)
        with session, response:
            started = time.monotonic()
            body = read_capped(response, 4096, deadline_s=0.3)
            elapsed = time.monotonic() - started
    assert 0.25 < elapsed < 1.5
    assert len(body) < 4096
    assert set(body) <= {ord("a")}


def _self_signed(name: str, folder) -> tuple:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.parametrize(
    "url",
    ["https://[fec0::1]/hook", "https://192.88.99.1/hook"],
    ids=["ipv6-site-local", "6to4-relay-anycast"],
)
def test_deprecated_internal_ranges_are_refused(url):
    """Ranges Python still calls global but networks route internally."""
    with pytest.raises(TargetRefused) as refused:
        check_url(url, TargetPolicy())
    assert refused.value.code == "private_address"
