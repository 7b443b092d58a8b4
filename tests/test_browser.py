"""The course in a real browser: JupyterLab + headless Chromium (Debian's), via Playwright.

For every notebook: open it, run all cells, and check what a person would see:
no cell shows an error, every widget rendered (no "Loading widget...", no
"Error displaying widget"), and, where the notebook has controls, clicking
the first one changes its view. A screenshot of each notebook is saved in
artifacts/browser/. The server and the browser are stopped even when a test
fails. `make test` installs Chromium when it is missing (Debian).

The notebooks are split over two modules (this one and test_browser_second.py),
each with its own JupyterLab, so that `pytest -n 2` runs the halves side by side.
"""

from pathlib import Path

import pytest

from dscourse.devtools.browser import LabBrowser, LabServer, find_chromium

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
FIRST_HALF = NOTEBOOKS[0::2]
SHOTS = ROOT / "artifacts" / "browser"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if find_chromium() is None:
        pytest.fail("Chromium is not installed: run `make test`, which installs it "
                    "(Debian: apt-get install chromium)")
    with LabServer(ROOT) as server, LabBrowser(server) as browser:
        yield browser


def check_in_browser(browser, name):
    report = browser.run_notebook(f"notebooks/{name}", shots=SHOTS)
    assert report.cells > 0
    assert report.executed == report.cells, f"only {report.executed} of {report.cells} cells ran"
    assert not report.errors, f"cells show errors: {report.errors}"
    assert not report.widget_problems, f"widgets failed to render: {report.widget_problems}"
    if report.widgets:
        assert report.view_changed, f"clicking {report.clicked!r} did not change the view"
    assert Path(report.screenshot).exists()


@pytest.mark.parametrize("name", FIRST_HALF)
def test_notebook_runs_and_its_widgets_work_in_the_browser(browser, name):
    check_in_browser(browser, name)
