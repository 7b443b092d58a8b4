"""Build, execute and export the course notebooks.

    python -m dscourse.devtools.notebooks execute notebooks/*.ipynb
    python -m dscourse.devtools.notebooks build draft.py notebooks/05_paxos.ipynb
    python -m dscourse.devtools.notebooks export notebooks/05_paxos.ipynb > draft.py
    python -m dscourse.devtools.notebooks student notebooks/*.ipynb --out student/notebooks

The ``.ipynb`` files are the source of truth. ``export`` turns one into a
"percent" script (cells start with ``# %%`` or ``# %% [markdown]``, tags as
``# %% tags=["nbval-ignore-output"]``) that is easy to edit in any editor;
``build`` turns such a script back into a notebook (without outputs);
``execute`` runs notebooks in place, as ``make notebooks`` does, and stores
clean outputs: kernelspec ``python3``, no widget state, no timings.

``student`` writes the learners' copy of the course (``make student``): in
every exercise cell, the reference solution between the nbgrader markers
``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes a stub that raises
``NotImplementedError``, the cell's stored outputs are cleared, and the cell is
tagged ``raises-exception`` (so Run All goes on past it) and
``nbval-ignore-output`` (so the copy can be tested like the original).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_HEADER = re.compile(r"^# %%(?: \[(markdown)\])?(?: tags=(\[.*\]))?\s*$")


def percent_to_notebook(text: str):
    cells, kind, tags, lines = [], None, [], []

    def flush():
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#")
                             for line in body.splitlines())
            cell = nbformat.v4.new_markdown_cell(body)
        else:
            cell = nbformat.v4.new_code_cell(body)
        if tags:
            cell.metadata["tags"] = tags
        cells.append(cell)

    for line in text.splitlines():
        m = _HEADER.match(line)
        if m:
            flush()
            kind = m.group(1) or "code"
            tags = json.loads(m.group(2)) if m.group(2) else []
            lines = []
        elif kind is not None:
            lines.append(line)
    flush()
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    number_cells(nb)
    return nb


def notebook_to_percent(nb) -> str:
    out = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        suffix = f" tags={json.dumps(tags)}" if tags else ""
        if cell.cell_type == "markdown":
            out.append(f"# %% [markdown]{suffix}")
            out.extend(("# " + line) if line else "#" for line in cell.source.splitlines())
        else:
            out.append(f"# %%{suffix}")
            out.extend(cell.source.splitlines())
        out.append("")
    return "\n".join(out)


def number_cells(nb) -> None:
    """Stable cell ids (cell-01, cell-02, ...) so that re-running gives no diff."""
    for i, cell in enumerate(nb.cells, 1):
        cell["id"] = f"cell-{i:02d}"


def clean(nb) -> None:
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                output.get("metadata", {}).pop("execution", None)
    number_cells(nb)


BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = 'raise NotImplementedError("Exercise: replace this line with your solution")'


def strip_solutions(source: str) -> tuple[str, int]:
    """Replace each solution block with a stub at the block's indentation."""
    out, inside, count = [], False, 0
    for line in source.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"nested {BEGIN!r} markers")
            inside, count = True, count + 1
            out.append(line[: len(line) - len(line.lstrip())] + STUB)
        elif marker == END:
            if not inside:
                raise ValueError(f"{END!r} without {BEGIN!r}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN!r} without {END!r}")
    return "\n".join(out), count


def student_copy(nb) -> int:
    """Turn a notebook into its student version in place; return the exercises stubbed."""
    total = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or BEGIN not in cell.source:
            continue
        cell.source, count = strip_solutions(cell.source)
        total += count
        cell.outputs = []
        cell.execution_count = None
        tags = cell.metadata.setdefault("tags", [])
        for tag in ("raises-exception", "nbval-ignore-output"):
            if tag not in tags:
                tags.append(tag)
    return total


def execute(path: Path, timeout: int = 600) -> float:
    """Run a notebook in place (in its own folder) and store its outputs; return seconds."""
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            record_timing=False)
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    clean(nb)
    nbformat.write(nb, path)
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_exec = sub.add_parser("execute", help="run notebooks in place and store outputs")
    p_exec.add_argument("notebooks", nargs="+", type=Path)
    p_build = sub.add_parser("build", help="percent script -> notebook (no outputs)")
    p_build.add_argument("source", type=Path)
    p_build.add_argument("target", type=Path)
    p_export = sub.add_parser("export", help="notebook -> percent script on stdout")
    p_export.add_argument("notebook", type=Path)
    p_student = sub.add_parser("student", help="write the learners' copy (solutions stubbed)")
    p_student.add_argument("notebooks", nargs="+", type=Path)
    p_student.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "execute":
        for path in args.notebooks:
            seconds = execute(path)
            print(f"{path}: executed in {seconds:.1f} s")
    elif args.command == "build":
        nb = percent_to_notebook(args.source.read_text(encoding="utf-8"))
        nbformat.write(nb, args.target)
        print(f"{args.target}: {len(nb.cells)} cells")
    elif args.command == "student":
        args.out.mkdir(parents=True, exist_ok=True)
        for path in args.notebooks:
            nb = nbformat.read(path, as_version=4)
            count = student_copy(nb)
            nbformat.write(nb, args.out / path.name)
            print(f"{args.out / path.name}: {count} exercise(s) stubbed")
    else:
        nb = nbformat.read(args.notebook, as_version=4)
        sys.stdout.write(notebook_to_percent(nb))
    return 0


if __name__ == "__main__":
    sys.exit(main())
