"""The offline guard the tests run under: connections beyond loopback are refused and recorded, loopback works."""
import socket
import threading

import pytest

from tests.netguard import netguard


def test_outbound_connection_is_refused_and_recorded():
    netguard.take()
    with pytest.raises(OSError):
        socket.create_connection(("198.51.100.7", 443), timeout=2)
    with pytest.raises(OSError):
        socket.getaddrinfo("huggingface.co", 443)
    tried = netguard.take()
    assert any("198.51.100.7:443" in t for t in tried) and any("huggingface.co" in t for t in tried)


def test_loopback_still_works():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    threading.Thread(target=lambda: server.accept()[0].sendall(b"ok"), daemon=True).start()
    with socket.create_connection(server.getsockname(), timeout=2) as client:
        assert client.recv(2) == b"ok"
    server.close()
    assert netguard.take() == []
