"""The browser test's second half of the notebooks (see test_browser.py)."""

import pytest

from .test_browser import NOTEBOOKS, browser, check_in_browser  # noqa: F401  (browser is a fixture)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("name", NOTEBOOKS[1::2])
def test_notebook_runs_and_its_widgets_work_in_the_browser(browser, name):  # noqa: F811
    check_in_browser(browser, name)
