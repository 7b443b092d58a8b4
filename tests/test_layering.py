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


def python_files(part, package=PACKAGE):
    target = package / part
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


def impurities(part, package=PACKAGE):
    problems = []
    for path in python_files(part, package):
        for module, line, node in imports(path):
            if node is not None and node.level:
                continue
            if module.split(".")[0] in FORBIDDEN:
                problems.append(f"{path.relative_to(package)}:{line} imports {module}")
        for line, name in uses_global_random(path):
            problems.append(f"{path.relative_to(package)}:{line} uses random.{name}")
    return problems


@pytest.mark.parametrize("part", PURE)
def test_protocol_code_stays_pure(part):
    problems = impurities(part)
    assert not problems, "\n".join(problems)


def layer_of(path, package=PACKAGE):
    rel = path.relative_to(package)
    head = rel.parts[0].removesuffix(".py")
    if head in ORDER:
        return head
    return None


def imported_layer(path, module, node, package=PACKAGE):
    """The dscourse layer a (relative or absolute) import points at."""
    if node is not None and node.level:
        base = path.relative_to(package).parent.parts
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


def layering_problems(package=PACKAGE):
    problems = []
    for path in sorted(package.rglob("*.py")):
        mine = layer_of(path, package)
        if mine is None:
            continue
        for module, line, node in imports(path):
            theirs = imported_layer(path, module, node, package)
            if theirs is None or theirs == mine or theirs not in ORDER:
                continue
            if rank(theirs) > rank(mine):
                problems.append(f"{path.relative_to(package)}:{line}: {mine} imports {theirs}")
    return problems


def test_layers_import_only_from_earlier_layers():
    problems = layering_problems()
    assert not problems, "\n".join(problems)


def test_the_layering_checks_catch_violations(tmp_path):
    # a throw-away package with the same shape, so the real one is never touched
    (tmp_path / "sim").mkdir()
    (tmp_path / "viz").mkdir()
    (tmp_path / "sim" / "probe.py").write_text(
        "import time\nimport random\nfrom ..viz import cluster\nx = random.random()\n")
    (tmp_path / "viz" / "cluster.py").write_text("import matplotlib\n")
    problems = impurities("sim", tmp_path)
    assert "sim/probe.py:1 imports time" in problems
    assert "sim/probe.py:4 uses random.random" in problems
    assert layering_problems(tmp_path) == ["sim/probe.py:3: sim imports viz"]

