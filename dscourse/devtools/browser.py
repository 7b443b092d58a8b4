"""Drive the course in a real browser: JupyterLab on 127.0.0.1, Chromium through Playwright.

``LabServer`` starts JupyterLab on a free loopback port with a random token and
private settings, runtime and workspace folders (so nothing of the user's own
JupyterLab is touched), and stops it, whatever happens. ``LabBrowser`` opens a
notebook in headless Chromium (Debian's ``/usr/bin/chromium``; Playwright
downloads no browser), runs every cell, and reports what a person would see:
errors shown in cells, widgets that failed to render, and whether clicking a
control changed the view. The browser test (``tests/test_browser.py``) uses
both; instructors can use them to screenshot every notebook:

    python -m dscourse.devtools.browser notebooks/*.ipynb --out artifacts/browser
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..engines.localproc import free_ports, require_free

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
SETTINGS = {
    # every cell is rendered, so a test can see every output (no virtual scrolling)
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # no news or update checks: the test machine has no internet
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class LabServer:
    """JupyterLab serving ``root`` on 127.0.0.1; a context manager."""

    def __init__(self, root: Path, port: int | None = None, startup_timeout: float = 90.0):
        self.root = Path(root).resolve()
        self.port = require_free("port", port) if port else free_ports(1)[0]
        self.token = secrets.token_hex(16)
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self._home = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "LabServer":
        self._home = tempfile.TemporaryDirectory(prefix="dscourse-lab-")
        home = Path(self._home.name)
        settings = home / "settings"
        for rel, values in SETTINGS.items():
            target = settings / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        env = dict(os.environ,
                   JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
                   JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                   JUPYTER_CONFIG_DIR=str(home / "config"),
                   MPLBACKEND="module://matplotlib_inline.backend_inline")
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={self.port}", "--port-retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root}", "--LabApp.expose_app_in_browser=True",
               "--LabApp.news_url=", "--LabApp.extension_manager=readonly"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")     # CI containers run as root
        self._log = open(home / "server.log", "w")
        self.process = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log_text()[-2000:]
                self.__exit__(None, None, None)
                raise RuntimeError(f"JupyterLab exited at start-up with code "
                                   f"{self.process.returncode}:\n{log}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2):
                    return self
            except OSError:
                time.sleep(0.5)
        log = self.log_text()[-2000:]
        self.__exit__(None, None, None)
        raise RuntimeError(f"JupyterLab did not answer on {self.url} within "
                           f"{self.startup_timeout:g} s:\n{log}")

    def log_text(self) -> str:
        if self._home is None:
            return ""
        path = Path(self._home.name) / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()
        if self._home is not None:
            self._home.cleanup()
            self._home = None


@dataclass
class NotebookReport:
    name: str
    seconds: float = 0.0
    cells: int = 0
    executed: int = 0
    errors: list = field(default_factory=list)
    widget_problems: list = field(default_factory=list)
    widgets: int = 0
    clicked: str | None = None
    view_changed: bool | None = None
    screenshot: str | None = None


_PANEL_JS = """const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
                 && panel.sessionContext.session.kernel;"""
_KERNEL_IDLE_JS = "() => { " + _PANEL_JS + " return !!kernel && kernel.status === 'idle'; }"
_DONE_JS = """() => { """ + _PANEL_JS + """
  if (!kernel || !panel.content) return false;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  const busy = cells.some(c => (c.promptNode && c.promptNode.textContent || '').includes('*'));
  return kernel.status === 'idle' && !busy && cells.every(c => c.model.executionCount !== null);
}"""

_STATE_JS = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  return {
    kernel: kernel ? kernel.status : 'none',
    cells: cells.length,
    executed: cells.filter(c => c.model.executionCount !== null).length,
    busy: cells.filter(c => (c.promptNode && c.promptNode.textContent || '').includes('*')).length,
  };
}"""


class LabBrowser:
    """Headless Chromium (through Playwright) pointed at a ``LabServer``."""

    def __init__(self, server: LabServer, chromium: str | None = None, width: int = 1280,
                 height: int = 900):
        self.server = server
        self.chromium = chromium or find_chromium()
        if self.chromium is None:
            raise RuntimeError("Chromium is not installed (on Debian: apt-get install chromium)")
        self.size = {"width": width, "height": height}

    def __enter__(self) -> "LabBrowser":
        from playwright.sync_api import sync_playwright
        self._pw = sync_playwright().start()
        try:
            self.browser = self._pw.chromium.launch(executable_path=self.chromium,
                                                    args=CHROMIUM_FLAGS, headless=True)
        except Exception:
            self._pw.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.browser.close()
        finally:
            self._pw.stop()

    def run_notebook(self, relpath: str, *, timeout: float = 300.0, shots: Path | None = None,
                     click: bool = True) -> NotebookReport:
        report = NotebookReport(relpath)
        start = time.monotonic()
        page = self.browser.new_page(viewport=self.size)
        page.set_default_timeout(60_000)
        # A workspace of its own, reset: JupyterLab would otherwise reopen every
        # notebook of the previous pages, each with its kernel.
        workspace = "nb-" + "".join(ch if ch.isalnum() else "-" for ch in Path(relpath).stem)
        try:
            page.goto(f"{self.server.url}/lab/workspaces/{workspace}/tree/{relpath}"
                      f"?reset&token={self.server.token}", wait_until="domcontentloaded")
            page.wait_for_function(_KERNEL_IDLE_JS, timeout=120_000, polling=500)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            try:
                page.wait_for_function(_DONE_JS, timeout=timeout * 1000, polling=500)
            except Exception:       # timed out: report how far it got
                pass
            state = page.evaluate(_STATE_JS) or {}
            report.cells, report.executed = state.get("cells", 0), state.get("executed", 0)
            page.wait_for_timeout(1500)       # let widget views finish rendering
            report.errors = page.eval_on_selector_all(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                "els => els.map(e => e.innerText).filter(t => /Traceback|Error/.test(t))"
                ".map(t => t.slice(0, 300))")
            text = page.inner_text(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
            for marker in ("Loading widget", "Error displaying widget", "Error rendering"):
                if marker in text:
                    report.widget_problems.append(marker)
            report.widgets = page.locator(".jp-OutputArea-output .widget-button").count()
            if click and report.widgets:
                report.clicked, report.view_changed = self._click_first_control(page)
            if shots is not None:
                shots.mkdir(parents=True, exist_ok=True)
                target = shots / (Path(relpath).stem + ".png")
                page.screenshot(path=str(target), full_page=False)
                report.screenshot = str(target)
            # shut the kernel down, so the next notebook has the machine to itself
            page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:shutdown')"
                          ".catch(() => null)")
        finally:
            report.seconds = time.monotonic() - start
            page.close()
        return report

    @staticmethod
    def _click_first_control(page) -> tuple[str, bool]:
        """Click the first widget button and tell whether its widget's view changed."""
        button = page.locator(".jp-OutputArea-output .widget-button").first
        button.scroll_into_view_if_needed()
        label = button.inner_text()
        container = button.locator("xpath=ancestor::div[contains(@class,'jp-OutputArea-output')]").first
        before = container.inner_html()
        button.click()
        for _ in range(40):
            page.wait_for_timeout(250)
            if container.inner_html() != before:
                return label, True
        return label, False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run notebooks in JupyterLab in headless Chromium")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("artifacts/browser"))
    args = parser.parse_args(argv)
    root = Path.cwd()
    failures = 0
    with LabServer(root) as server, LabBrowser(server) as browser:
        for nb in args.notebooks:
            report = browser.run_notebook(nb.resolve().relative_to(root).as_posix(), shots=args.out)
            ok = not report.errors and not report.widget_problems and report.executed == report.cells
            failures += not ok
            verdict = "ok" if ok else f"PROBLEMS: {report.errors + report.widget_problems}"
            print(f"{report.name}: {report.executed}/{report.cells} cells, {report.widgets} buttons, "
                  f"clicked {report.clicked!r} -> changed={report.view_changed}, "
                  f"{report.seconds:.1f} s, {verdict}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
