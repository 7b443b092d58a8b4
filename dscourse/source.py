"""``show_source``: show the package's code in a notebook instead of pasting it.

The package is the single source of truth; a notebook that explains a handler
shows it with ``show_source(RaftNode.on_request_vote)``, so the text the
learner reads is the code that runs.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from .sim.table import TextTable

_ROOT = Path(__file__).resolve().parent.parent


def show_source(obj, *, start: str | None = None, end: str | None = None) -> TextTable:
    """The source of a class, function or method, with its file and line numbers.

    ``start`` and ``end`` (substrings of lines) trim it to an excerpt: from the
    first line containing ``start`` to the first line after it containing ``end``.
    """
    try:
        lines, first = inspect.getsourcelines(obj)
        path = Path(inspect.getsourcefile(obj)).resolve()
    except (TypeError, OSError) as exc:
        raise TypeError(f"obj must be a class, function or method defined in a file; "
                        f"got {obj!r} ({exc})") from None
    lo, hi = 0, len(lines)
    if start is not None:
        found = [i for i, line in enumerate(lines) if start in line]
        if not found:
            raise ValueError(f"start={start!r} does not occur in the source of {obj!r}")
        lo = found[0]
    if end is not None:
        found = [i for i, line in enumerate(lines) if end in line and i >= lo]
        if not found:
            raise ValueError(f"end={end!r} does not occur after start in the source of {obj!r}")
        hi = found[0] + 1
    try:
        where = path.relative_to(_ROOT)
    except ValueError:
        where = path.name
    header = f"# {where}, lines {first + lo}-{first + hi - 1}"
    body = "".join(f"{first + i:4d}  {line}" for i, line in enumerate(lines[lo:hi], start=lo))
    return TextTable(header + "\n" + body.rstrip("\n"))
