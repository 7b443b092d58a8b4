"""data/latency_numbers.csv: well-formed, cited, and as published."""

import pytest

from dscourse.fallacies import load_latency_numbers
from dscourse.fallacies.latency_numbers import DATA_FILE, SOURCES


@pytest.fixture(scope="module")
def numbers():
    return load_latency_numbers()


def test_every_row_has_a_known_source_and_the_readme_cites_it(numbers):
    assert {f.source for f in numbers.figures} <= set(SOURCES)
    readme = (DATA_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert "`latency_numbers.csv`" in readme
    assert "LADIS 2009" in readme and "norvig.com/21-days.html" in readme


def test_dean_rows_are_in_increasing_order_as_on_the_slide(numbers):
    dean = [f.nanoseconds for f in numbers.figures if f.source == "dean2009"]
    assert dean == sorted(dean) and len(dean) >= 8


def test_anchor_figures_as_published(numbers):
    # Dean, LADIS 2009, "Numbers Everyone Should Know" (second transcription)
    assert numbers["Main memory reference"].nanoseconds == 100
    assert numbers["Round trip within same datacenter"].milliseconds == 0.5
    assert numbers["Send packet CA->Netherlands->CA"].milliseconds == 150
    # Norvig's table agrees on the transatlantic round trip
    assert numbers["Send packet US to Europe and back"].milliseconds == 150


def test_table_shows_ratios_to_a_memory_reference(numbers):
    text = numbers.table()
    assert "5000x" in text        # a datacenter round trip
    assert "1500000x" in text    # a transatlantic one


@pytest.mark.parametrize("content, match", [
    ("op,ns,source\nx,1,dean2009\n", "columns must be"),
    ("operation,latency_ns,source\nx,fast,dean2009\n", "latency_ns must be a number"),
    ("operation,latency_ns,source\nx,-3,dean2009\n", "must be positive"),
    ("operation,latency_ns,source\nx,3,wikipedia\n", "source must be one of"),
    ("operation,latency_ns,source\n", "has no rows"),
])
def test_malformed_files_are_rejected(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        load_latency_numbers(path)


def test_missing_file_and_unknown_operation(tmp_path, numbers):
    with pytest.raises(ValueError, match="is not a file"):
        load_latency_numbers(tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="operation must be one of"):
        numbers["Teleport"]
