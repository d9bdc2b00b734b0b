import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import socket

import pytest

_real_connect = socket.socket.connect


def _local_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1")) or \
            self.family == getattr(socket, "AF_UNIX", None):
        return _real_connect(self, address)
    raise OSError(f"tests may not touch the network (tried {address!r})")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No test may touch the network: outgoing connections other than loopback fail at once."""
    monkeypatch.setattr(socket.socket, "connect", _local_only)
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host in ("localhost", "127.0.0.1", "::1", None):
            return real_getaddrinfo(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "network disabled in tests")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
