"""The project's own promises: dependencies agree, notebooks use python3, data has provenance."""

import json
import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


# conda-forge names a few packages differently from PyPI
CONDA_NAMES = {"redis-py": "redis"}


def normalise(spec):
    name = re.split(r"[<>=!~ ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")
    return CONDA_NAMES.get(name, name), spec.strip()[len(name):].replace(" ", "")


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(normalise(d) for d in project["dependencies"])
    conda = {}
    in_deps = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        m = re.match(r"^  - ([^:#]+)$", line)
        if in_deps and m:
            name, spec = normalise(m.group(1))
            if name not in ("python", "pip"):
                conda[name] = spec
    assert conda == wanted
    assert "python=3.11" in (ROOT / "environment.yml").read_text()
    assert re.search(r"- pip:\n\s+- -e \.", (ROOT / "environment.yml").read_text())


def test_every_notebook_uses_the_python3_kernel_and_stores_no_widget_state():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "the course has notebooks"
    for path in notebooks:
        nb = json.loads(path.read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python3", path.name
        assert "widgets" not in nb["metadata"], path.name
        assert re.match(r"\d\d_[a-z0-9_]+\.ipynb$", path.name), path.name


def test_every_data_file_is_listed_in_the_data_readme():
    readme = (ROOT / "data" / "README.md").read_text()
    for path in sorted((ROOT / "data").rglob("*")):
        if path.is_file() and path.name != "README.md":
            rel = path.relative_to(ROOT / "data").as_posix()
            assert f"`{rel}`" in readme, f"data/{rel} is not described in data/README.md"


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    quick = text[: text.index("\n## ", text.index("Quick start") + 1)]
    assert "make lab" in quick and "make test" in quick
    assert "make test" in (ROOT / ".ci" / "run").read_text()
