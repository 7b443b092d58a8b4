"""The architecture's layers, enforced.

Protocol and simulator code never imports UI, plotting, wall-clock time,
threads or global randomness; and each layer imports only from the layers
before it (sim < clocks < topics < scenarios < viz < widgets < engines).
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dscourse"
FORBIDDEN = {"matplotlib", "networkx", "ipywidgets", "IPython", "time", "threading", "asyncio",
             "tqdm"}
PURE = ["sim", "basics", "fallacies", "clocks.py", "replication", "checkers", "consensus",
        "queues", "hashing", "election", "design"]
ORDER = ["sim", "clocks", "basics", "fallacies", "replication", "checkers", "consensus", "queues",
         "hashing", "election", "design", "scenarios", "exercises", "viz", "widgets", "engines"]
TOPICS = {"basics", "fallacies", "replication", "checkers", "consensus", "queues", "hashing",
          "election", "design"}


def python_files(part):
    target = PACKAGE / part
    if target.is_file():
        return [target]
    return sorted(target.rglob("*.py")) if target.is_dir() else []


def imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, None
        elif isinstance(node, ast.ImportFrom):
            yield (node.module or ""), node.lineno, node


def uses_global_random(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "random" and node.attr != "Random"):
            yield node.lineno, node.attr
        if isinstance(node, ast.ImportFrom) and node.module == "random" and node.level == 0:
            for alias in node.names:
                if alias.name != "Random":
                    yield node.lineno, alias.name


@pytest.mark.parametrize("part", PURE)
def test_protocol_code_stays_pure(part):
    problems = []
    for path in python_files(part):
        for module, line, node in imports(path):
            if node is not None and node.level:
                continue
            if module.split(".")[0] in FORBIDDEN:
                problems.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
        for line, name in uses_global_random(path):
            problems.append(f"{path.relative_to(PACKAGE)}:{line} uses random.{name}")
    assert not problems, "\n".join(problems)


def layer_of(path):
    rel = path.relative_to(PACKAGE)
    head = rel.parts[0].removesuffix(".py")
    if head in ORDER:
        return head
    return None


def imported_layer(path, module, node):
    """The dscourse layer a (relative or absolute) import points at."""
    if node is not None and node.level:
        base = path.relative_to(PACKAGE).parent.parts
        up = node.level - 1
        parts = list(base[:len(base) - up] if up else base) + (module.split(".") if module else [])
        if not parts:   # "from .. import x": x is the layer
            return None
        return parts[0]
    if module.startswith("dscourse."):
        return module.split(".")[1]
    return None


def rank(layer):
    if layer in TOPICS:
        return ORDER.index("basics")    # topics share one layer rank ...
    return ORDER.index(layer)


def test_layers_import_only_from_earlier_layers():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        mine = layer_of(path)
        if mine is None:
            continue
        for module, line, node in imports(path):
            theirs = imported_layer(path, module, node)
            if theirs is None or theirs == mine or theirs not in ORDER:
                continue
            if rank(theirs) > rank(mine):
                problems.append(f"{path.relative_to(PACKAGE)}:{line}: {mine} imports {theirs}")
    assert not problems, "\n".join(problems)


def test_the_layering_check_catches_a_violation(tmp_path):
    bad = PACKAGE / "sim" / "_layering_probe.py"
    bad.write_text("import time\nfrom ..viz import cluster\n")
    try:
        with pytest.raises(AssertionError, match="imports time"):
            test_protocol_code_stays_pure("sim")
        with pytest.raises(AssertionError, match="sim imports viz"):
            test_layers_import_only_from_earlier_layers()
    finally:
        bad.unlink()
