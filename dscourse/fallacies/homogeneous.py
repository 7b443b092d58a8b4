"""Fallacy 8b: "the network is homogeneous": nodes do not all speak alike.

A collector receives sensor readings (a city name and a temperature in
hundredths of a degree) as raw bytes. The sensors come from three firmware
generations, each with its own wire format:

====  ==========  ===========  ===========================================
ver   byte order  text         who
====  ==========  ===========  ===========================================
1     big-endian  Latin-1      the original fleet (the collector's format)
2     little      UTF-8        newer sensors, added later
3     little      UTF-16-LE    newest sensors, newer than the collector
====  ==========  ===========  ===========================================

* **no header**: the collector assumes every frame is version 1. Nothing
  fails, which is the problem: a version-2 temperature read with the wrong
  byte order is a wildly wrong number, and ``"São Paulo"`` in UTF-8 read as
  Latin-1 is ``"SÃ£o Paulo"`` (mojibake). Latin-1 decodes *any* bytes, so the
  corruption is silent.
* **version byte**: every frame starts with its format version. The
  collector decodes each version it knows correctly and *rejects* one it does
  not know with an explicit error. A loud rejection can be counted, alerted
  on and fixed (upgrade the collector); silent corruption spreads.

Real formats do the same: a version or type field (Protocol Buffers field
numbers, HTTP's ``Content-Type: ...; charset=utf-8``, a byte-order mark).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from ..sim import Node, Uniform
from ..sim.rng import Seed
from ..sim.table import TextTable, format_table
from ..sim.validate import check_choice, check_delay, check_int
from .common import build_sim, run_seed


@dataclass(frozen=True)
class WireFormat:
    byteorder: str      # struct prefix: ">" big-endian, "<" little-endian
    encoding: str


FORMATS = {1: WireFormat(">", "latin-1"), 2: WireFormat("<", "utf-8"),
           3: WireFormat("<", "utf-16-le")}


class DecodeError(ValueError):
    """A frame the collector refuses (explicitly) to interpret."""


def encode_reading(city: str, value: int, version: int, *, header: bool) -> bytes:
    """A reading in format ``version``: [version byte] + int32 value + city text."""
    check_choice("version", version, sorted(FORMATS))
    if not isinstance(city, str):
        raise TypeError(f"city must be a str, got {city!r}")
    fmt = FORMATS[version]
    body = struct.pack(fmt.byteorder + "i", value) + city.encode(fmt.encoding)
    return bytes([version]) + body if header else body


def decode_reading(data: bytes, *, header: bool, assume: int = 1,
                   known: tuple = (1, 2)) -> tuple[str, int]:
    """Read a frame: by its version byte (``header``), else as format ``assume``."""
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be bytes, got {data!r}")
    if header:
        if not data:
            raise DecodeError("empty frame: no version byte")
        version, data = data[0], data[1:]
        if version not in known:
            raise DecodeError(f"unknown format version {version}; this collector knows "
                              f"{list(known)}")
    else:
        version = assume
    fmt = FORMATS[version]
    if len(data) < 4:
        raise DecodeError(f"frame too short: {len(data)} bytes after the header, need 4+")
    (value,) = struct.unpack(fmt.byteorder + "i", data[:4])
    try:
        city = data[4:].decode(fmt.encoding)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"city is not valid {fmt.encoding}: {exc}") from None
    return city, value


@dataclass(frozen=True)
class Frame:
    data: bytes

    @property
    def size_bytes(self) -> int:        # what the network charges for it
        return len(self.data)


class Sensor(Node):
    def __init__(self, node_id: Any, collector: Any, city: str, version: int, count: int = 20,
                 header: bool = False, interval: float = 10.0):
        super().__init__(node_id)
        self.collector = collector
        self.city = city
        self.version = check_choice("version", version, sorted(FORMATS))
        self.count = check_int("count", count, minimum=1)
        self.header = bool(header)
        self.interval = check_delay("interval", interval)
        self.sent: list[tuple] = []

    def on_start(self) -> None:
        self.ctx.set_timer(self.interval, "read")

    def on_timer(self, name: str, payload: Any) -> None:
        reading = (self.city, self.ctx.rng.randint(-2000, 3500))    # hundredths of a degree
        self.sent.append(reading)
        self.ctx.send(self.collector, Frame(encode_reading(*reading, self.version,
                                                           header=self.header)))
        if len(self.sent) < self.count:
            self.ctx.set_timer(self.interval, "read")


class Collector(Node):
    def __init__(self, node_id: Any, header: bool = False):
        super().__init__(node_id)
        self.header = bool(header)
        self.received: dict[Any, list] = {}     # sensor -> [(city, value) or DecodeError text]

    def on_frame(self, src, msg: Frame) -> None:
        try:
            got: Any = decode_reading(msg.data, header=self.header)
        except DecodeError as exc:
            got = f"rejected: {exc}"
        self.received.setdefault(src, []).append(got)


#: sensor -> (city, firmware version)
FLEET = {"s1": ("Malmö", 1), "s2": ("Zürich", 1), "s3": ("São Paulo", 2), "s4": ("Kraków", 2),
         "s5": ("Genève", 3)}


@dataclass(frozen=True)
class EncodingRun:
    collector: str
    rows: tuple         # (sensor, version, sent, correct, silently wrong, rejected)
    examples: tuple     # (sensor, sent reading, what the collector made of it), first of each


@dataclass(frozen=True)
class EncodingResult:
    runs: tuple

    def __getitem__(self, collector: str) -> EncodingRun:
        for r in self.runs:
            if r.collector == collector:
                return r
        raise ValueError(f"collector must be one of {[r.collector for r in self.runs]}, "
                         f"got {collector!r}")

    def totals(self, collector: str) -> dict:
        rows = self[collector].rows
        return {k: sum(r[i] for r in rows)
                for i, k in ((2, "sent"), (3, "correct"), (4, "silently wrong"), (5, "rejected"))}

    def table(self) -> TextTable:
        rows = [(run.collector, *row) for run in self.runs for row in run.rows]
        return format_table(["collector", "sensor", "version", "sent", "correct",
                             "silently wrong", "rejected"], rows)

    def examples(self) -> TextTable:
        rows = [(run.collector, s, repr(sent), got if isinstance(got, str) else repr(got))
                for run in self.runs for s, sent, got in run.examples]
        return format_table(["collector", "sensor", "sent", "received"], rows)


def run_encoding(header: bool, seed: Seed = None, *, count: int = 20,
                 fleet: dict | None = None) -> EncodingRun:
    fleet = FLEET if fleet is None else fleet
    sensors = [Sensor(s, "collector", city, version, count, header)
               for s, (city, version) in sorted(fleet.items())]
    collector = Collector("collector", header)
    sim = build_sim(run_seed(seed), sensors + [collector], latency=Uniform(1.0, 10.0))
    sim.run()
    rows, examples = [], []
    for s in sensors:
        # Each sensor's frames may be reordered in flight; compare as multisets.
        got = collector.received.get(s.node_id, [])
        rejected = sum(1 for g in got if isinstance(g, str))
        remaining = list(s.sent)
        correct = 0
        for g in got:
            if not isinstance(g, str) and g in remaining:
                remaining.remove(g)
                correct += 1
        rows.append((s.node_id, s.version, len(s.sent), correct, len(got) - correct - rejected,
                     rejected))
        first = got[0] if got else None
        examples.append((s.node_id, s.sent[0] if s.sent else None, first))
    name = "version byte" if header else "no header"
    return EncodingRun(name, tuple(rows), tuple(examples))


def encoding_experiment(seed: Seed = None, **options: Any) -> EncodingResult:
    seed = run_seed(seed)
    return EncodingResult(tuple(run_encoding(h, seed, **options) for h in (False, True)))
