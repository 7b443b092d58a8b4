"""Course-author tools: the student copy and the percent-script round trip."""

import nbformat
import pytest

from dscourse.devtools.notebooks import (
    STUB,
    notebook_to_percent,
    percent_to_notebook,
    strip_solutions,
    student_copy,
)

from .test_project import ROOT

EXERCISE = '''def answer():
    """Return 42."""
    ### BEGIN SOLUTION
    x = 6 * 7
    return x
    ### END SOLUTION

check(answer)'''


def test_solutions_become_stubs_at_their_indentation():
    source, count = strip_solutions(EXERCISE)
    assert count == 1
    assert f"    {STUB}" in source
    assert "6 * 7" not in source and "SOLUTION" not in source
    assert source.endswith("check(answer)")
    namespace = {"check": lambda fn: fn}
    exec(source, namespace)
    with pytest.raises(NotImplementedError, match="Exercise"):
        namespace["answer"]()


@pytest.mark.parametrize("bad, match", [
    ("### END SOLUTION\n", "without"),
    ("### BEGIN SOLUTION\nx = 1\n", "without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "nested"),
])
def test_unbalanced_markers_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        strip_solutions(bad)


def test_every_notebook_has_exercises_and_a_clean_student_copy():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        count = student_copy(nb)
        assert count >= 2, f"{path.name} has {count} exercise solution(s); each notebook needs two"
        for cell in nb.cells:
            assert "BEGIN SOLUTION" not in cell.source
            if STUB in cell.source:
                assert cell.outputs == [] and cell.execution_count is None
                assert {"raises-exception", "nbval-ignore-output"} <= set(cell.metadata["tags"])


def test_percent_script_round_trip():
    nb = nbformat.read(ROOT / "notebooks" / "00_start_here.ipynb", as_version=4)
    again = percent_to_notebook(notebook_to_percent(nb))
    assert [c.cell_type for c in again.cells] == [c.cell_type for c in nb.cells]
    assert [c.source for c in again.cells] == [c.source for c in nb.cells]
    assert [c.metadata.get("tags", []) for c in again.cells] == \
           [c.metadata.get("tags", []) for c in nb.cells]
