"""The tests' network guard: nothing but loopback, name lookups included.

tests/conftest.py installs it in the test process and puts this folder first on PYTHONPATH, so
that every Python process a test starts (`python -m migrate` in a subprocess, the render worker
processes, stand-in servers) imports it as its `sitecustomize` and is held to the same rule. A
test that needs a name resolved stubs the resolver instead.
"""
from __future__ import annotations

import ipaddress
import socket

_real = {name: getattr(socket, name) for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr",
                                                  "getnameinfo")}
_real_connect, _real_connect_ex = socket.socket.connect, socket.socket.connect_ex
_real_sendto, _real_sendmsg = socket.socket.sendto, socket.socket.sendmsg


def is_loopback(host) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse_lookup(host) -> None:
    if not is_loopback(host):
        raise socket.gaierror(socket.EAI_NONAME, f"test network guard: no lookups of {host!r}")


def _check_address(address) -> None:
    if isinstance(address, tuple) and not is_loopback(address[0]):
        raise ConnectionRefusedError(f"test network guard: no packets to {address[0]!r}")


def guarded_getaddrinfo(host, *args, **kwargs):
    _refuse_lookup(host)
    return _real["getaddrinfo"](host, *args, **kwargs)


def _guarded_lookup(name):
    def lookup(host, *args, **kwargs):
        _refuse_lookup(host)
        return _real[name](host, *args, **kwargs)
    return lookup


def _guarded_getnameinfo(address, flags):
    _check_address(address)
    return _real["getnameinfo"](address, flags)


def _guarded_connect(self, address):
    _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check_address(address)
    return _real_connect_ex(self, address)


def _guarded_sendto(self, data, *flags_and_address):
    _check_address(flags_and_address[-1] if flags_and_address else None)
    return _real_sendto(self, data, *flags_and_address)


def _guarded_sendmsg(self, buffers, *rest):
    _check_address(rest[2] if len(rest) > 2 else None)
    return _real_sendmsg(self, buffers, *rest)


def install() -> None:
    socket.getaddrinfo = guarded_getaddrinfo
    socket.gethostbyname = _guarded_lookup("gethostbyname")
    socket.gethostbyname_ex = _guarded_lookup("gethostbyname_ex")
    socket.gethostbyaddr = _guarded_lookup("gethostbyaddr")
    socket.getnameinfo = _guarded_getnameinfo
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.socket.sendto = _guarded_sendto
    socket.socket.sendmsg = _guarded_sendmsg


install()
