"""Refuse and record every network connection that leaves this machine (loopback and Unix sockets are fine).

The course must work with no internet, so the tests run with the network refused: a page that tries a hub, a
CDN or usage statistics on its default path is caught here instead of hanging in a classroom. Installed in the
test process (tests/conftest.py) and, through sitecustomize.py, in the `streamlit run` server of the browser test.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import threading

attempts: list[str] = []
_lock = threading.Lock()
_installed = False
_real = {"connect": socket.socket.connect, "connect_ex": socket.socket.connect_ex, "getaddrinfo": socket.getaddrinfo}


def _local(host) -> bool:
    if host is None or host in ("localhost", "", b"localhost"):
        return True
    host = host.decode() if isinstance(host, bytes) else str(host)
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host.endswith(".localhost")


def _record(what: str) -> None:
    with _lock:
        attempts.append(what)
    log = os.environ.get("NETGUARD_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(what + "\n")


def _connect(self, address, *, _name="connect"):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _record(f"{_name} {address[0]}:{address[1]}")
        raise ConnectionRefusedError(111, "network refused by the test guard (offline course)")
    return _real[_name](self, address)


def _connect_ex(self, address):
    try:
        _connect(self, address, _name="connect_ex")
    except ConnectionRefusedError:
        return 111
    return 0


def _numeric(host) -> bool:
    try:
        ipaddress.ip_address((host.decode() if isinstance(host, bytes) else str(host)).split("%")[0])
        return True
    except ValueError:
        return False


def _getaddrinfo(host, *args, **kwargs):
    if not _local(host) and not _numeric(host):  # a numeric address needs no lookup; connect() judges it
        _record(f"dns {host}")
        raise socket.gaierror(socket.EAI_NONAME, "name lookup refused by the test guard (offline course)")
    return _real["getaddrinfo"](host, *args, **kwargs)


def install() -> None:
    global _installed
    if not _installed:
        socket.socket.connect = _connect
        socket.socket.connect_ex = _connect_ex
        socket.getaddrinfo = _getaddrinfo
        _installed = True


def take() -> list[str]:
    """The attempts recorded since the last call (and forget them)."""
    with _lock:
        got = list(attempts)
        attempts.clear()
    return got
