"""Hash functions for partitioning, and the one rule for what a key may be.

Every partitioner in ``dscourse.hashing`` turns a key into a number with a
*stable* hash function: the same bytes give the same number in every process
and on every machine. Python's built-in ``hash()`` does not qualify: for
strings it is salted per process (``PYTHONHASHSEED``), so two servers (or two
runs of a notebook) would disagree about where a key lives.

The default, ``"md5"``, is the course text's reference scheme: the MD5 digest
of the UTF-8 bytes, of which the first four bytes are read big-endian as an
unsigned 32-bit number. The ring is then the integers ``0 .. 2**32 - 1``.
Others can be selected by name (see ``HASHES``), or passed as a
``HashFunction`` you build around any ``bytes -> int`` function.

Keys are ``str`` (hashed as UTF-8) or ``bytes``; anything else is a
``TypeError``, because ``str(42)`` and ``b"42"`` and ``42`` silently landing
in the same place is the kind of bug partitioning code should not invite.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..sim.validate import _describe, check_int

try:
    # CPython's built-in MD5 (the module behind hashlib's fallback): the same
    # digest as hashlib.md5, about three times faster on short keys, because
    # it skips OpenSSL's per-call set-up. Tests check the two always agree.
    from _md5 import md5 as _md5
except ImportError:  # pragma: no cover - builds without it fall back to OpenSSL
    _md5 = hashlib.md5
_sha1 = hashlib.sha1
_sha256 = hashlib.sha256
_blake2b = hashlib.blake2b
_U32 = struct.Struct(">I").unpack_from
_U64 = struct.Struct(">Q").unpack_from


def md5_32(data: bytes) -> int:
    """The course text's ``hash()``: first four bytes of MD5, big-endian, unsigned."""
    return _U32(_md5(data).digest())[0]


def md5_64(data: bytes) -> int:
    """First eight bytes of MD5, big-endian: a 64-bit ring (fewer collisions)."""
    return _U64(_md5(data).digest())[0]


def sha1_32(data: bytes) -> int:
    return _U32(_sha1(data).digest())[0]


def sha256_64(data: bytes) -> int:
    return _U64(_sha256(data).digest())[0]


def blake2b_64(data: bytes) -> int:
    return _U64(_blake2b(data, digest_size=8).digest())[0]


def crc32(data: bytes) -> int:
    """CRC-32: fast, but a checksum, not a hash: similar names land near each other."""
    return zlib.crc32(data)


@dataclass(frozen=True)
class HashFunction:
    """A named ``bytes -> int`` function whose results lie in ``0 .. 2**bits - 1``."""

    name: str
    bits: int
    fn: Callable[[bytes], int]
    description: str = ""

    def __post_init__(self) -> None:
        check_int("bits", self.bits, minimum=8, maximum=256)
        if not callable(self.fn):
            raise TypeError(f"fn must be a function bytes -> int, got {_describe(self.fn)}")

    @property
    def size(self) -> int:
        """How many positions the ring has: ``2 ** bits``."""
        return 1 << self.bits

    def __call__(self, data: bytes) -> int:
        return self.fn(data)

    def checked(self, data: bytes, what: str = "hash") -> int:
        """``fn(data)``, checked to be an int in range (for hand-made functions)."""
        value = self.fn(data)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < self.size:
            raise ValueError(f"hash function {self.name!r} returned {_describe(value)} for "
                             f"{what} {data!r}; it must return an int in 0 .. 2**{self.bits} - 1")
        return value


HASHES: dict[str, HashFunction] = {h.name: h for h in (
    HashFunction("md5", 32, md5_32, "MD5, first 4 bytes big-endian (the course text)"),
    HashFunction("md5_64", 64, md5_64, "MD5, first 8 bytes big-endian"),
    HashFunction("sha1", 32, sha1_32, "SHA-1, first 4 bytes big-endian"),
    HashFunction("sha256", 64, sha256_64, "SHA-256, first 8 bytes big-endian"),
    HashFunction("blake2b", 64, blake2b_64, "BLAKE2b with an 8-byte digest"),
    HashFunction("crc32", 32, crc32, "CRC-32 (a checksum; poor spread)"),
)}


def get_hash(spec: Any, name: str = "hash") -> HashFunction:
    """A ``HashFunction`` from a name in ``HASHES`` or a ``HashFunction``."""
    if isinstance(spec, HashFunction):
        return spec
    if isinstance(spec, str):
        if spec not in HASHES:
            raise ValueError(f"{name} must be one of {', '.join(map(repr, HASHES))} or a "
                             f"HashFunction; got {spec!r}")
        return HASHES[spec]
    raise TypeError(f"{name} must be a hash name ({', '.join(map(repr, HASHES))}) or a "
                    f"HashFunction(name, bits, fn); got {_describe(spec)} of type "
                    f"{type(spec).__name__}")


def key_bytes(key: Any, name: str = "key") -> bytes:
    """The bytes a key is hashed as: UTF-8 for ``str``, as-is for ``bytes``."""
    if isinstance(key, str):
        return key.encode("utf-8", "surrogatepass")
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key)
    raise TypeError(f"{name} must be a str or bytes, got {_describe(key)} of type "
                    f"{type(key).__name__}")


def hash_keys(keys: Any, hash: Any = "md5") -> list[int]:
    """The hash of every key, in order: compute once, reuse for several layouts."""
    fn = get_hash(hash).fn
    out = []
    append = out.append
    for key in keys:
        if key.__class__ is str:
            append(fn(key.encode("utf-8", "surrogatepass")))
        else:
            append(fn(key_bytes(key)))
    return out
