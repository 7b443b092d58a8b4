"""The design checklist as a widget: answer the questions, read the recommended design.

One row of buttons per question (yes / no / not sure). Every change calls
``recommend`` (``dscourse.design.rules``) and redraws the answer: one line per
area with the recommended design, its reason and links to the notebooks
that demonstrate it, then the notes on how the answers interact. A dropdown
loads the answers of one of notebook 10's worked problems; "reset" clears
them.

The logic runs without a browser: set ``panel.buttons["consistency"].value =
"yes"`` (or call ``panel.set_answers({...})``), pick ``panel.profile.value``,
click ``panel.reset_button.click()``, then read ``panel.design`` (a
``Design``), ``panel.text()`` (plain text, what a notebook prints for nbval
and screen readers) or ``panel.output.value`` (the HTML shown).

    panel = DesignChecklist()
    panel            # shows the widget
"""

from __future__ import annotations

import html
from typing import Any, Mapping

import ipywidgets as w
from IPython.display import display

from ..design.rules import PROFILES, QUESTIONS, Design, check_answers, notebook_title, recommend

__all__ = ["DesignChecklist", "design_html"]

CHOICES = (("yes", True), ("no", False), ("not sure", None))
_TO_LABEL = {True: "yes", False: "no", None: "not sure"}
_FROM_LABEL = dict(CHOICES)
OWN = "(your own answers)"


def design_html(design: Design) -> str:
    """The recommendation as HTML: one block per area, reasons, notebook links, notes."""
    parts = ["<div style='font-size:13px; line-height:1.35'>"]
    for r in design.recommendations:
        links = ", ".join(f"<a href='{html.escape(f)}' target='_blank'>"
                          f"{html.escape(notebook_title(f))}</a>" for f in r.notebooks)
        parts.append(f"<p style='margin:4px 0'><b>{html.escape(r.area)}</b>: "
                     f"{html.escape(r.choice)}<br><span style='color:#444'>"
                     f"{html.escape(r.reason)}</span><br><small>see {links}</small></p>")
    if design.notes:
        parts.append("<p style='margin:6px 0 2px 0'><b>Notes</b></p><ul style='margin:0'>")
        parts.extend(f"<li>{html.escape(n)}</li>" for n in design.notes)
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


class DesignChecklist:
    """The checklist widget; see the module docstring.

    Parameters
    ----------
    answers : dict, optional
        Starting answers ``{question key: True / False / None}``.
    render : bool
        False skips building the HTML on each change (tests of the logic only).
    """

    def __init__(self, answers: Mapping[str, Any] | None = None, *, render: bool = True,
                 title: str = "Design checklist") -> None:
        start = check_answers(answers or {})
        self.render_enabled = render
        self.title = title
        self.renders = 0
        self._quiet = False
        self.design: Design = recommend(start)
        self._build_ui(start)
        self._refresh()

    # ------------------------------------------------------------------ logic
    @property
    def answers(self) -> dict:
        return {key: _FROM_LABEL[b.value] for key, b in self.buttons.items()}

    def set_answers(self, answers: Mapping[str, Any]) -> Design:
        """Set every button at once (missing keys: not sure); one recommendation at the end."""
        answers = check_answers(answers)
        self._quiet = True
        try:
            for key, b in self.buttons.items():
                b.value = _TO_LABEL[answers[key]]
        finally:
            self._quiet = False
        return self._refresh()

    def load_profile(self, name: str) -> Design:
        if name not in PROFILES:
            raise ValueError(f"name must be one of {sorted(PROFILES)}, got {name!r}")
        return self.set_answers(PROFILES[name])

    def reset(self) -> Design:
        self.profile.value = OWN
        return self.set_answers({})

    def text(self) -> str:
        """The current recommendation as plain text."""
        return str(self.design)

    # --------------------------------------------------------------------- UI
    def _build_ui(self, start: dict) -> None:
        self.buttons: dict = {}
        rows = [w.HTML(f"<b>{html.escape(self.title)}</b>")]
        for q in QUESTIONS:
            b = w.ToggleButtons(options=[label for label, _ in CHOICES], value=_TO_LABEL[start[q.key]],
                                style={"button_width": "72px"}, tooltips=[q.detail] * len(CHOICES))
            b.observe(self._on_change, names="value")
            self.buttons[q.key] = b
            rows.append(w.HBox([w.HTML(f"<span title='{html.escape(q.detail)}'>"
                                       f"{html.escape(q.text)}</span>",
                                       layout=w.Layout(width="330px")), b]))
        self.profile = w.Dropdown(options=[OWN] + list(PROFILES), value=OWN,
                                  description="example", layout=w.Layout(width="300px"))
        self.profile.observe(self._on_profile, names="value")
        self.reset_button = w.Button(description="reset", button_style="warning")
        self.reset_button.on_click(lambda _b: self.reset())
        self.output = w.HTML()
        rows.append(w.HBox([self.profile, self.reset_button]))
        rows.append(self.output)
        self.ui = w.VBox(rows)

    def _on_change(self, _change: dict) -> None:
        if not self._quiet:
            if self.profile.value != OWN:      # edited by hand: no longer that example
                self.profile.value = OWN
            self._refresh()

    def _on_profile(self, change: dict) -> None:
        if change["new"] != OWN:
            self.load_profile(change["new"])

    def _refresh(self) -> Design:
        self.design = recommend(self.answers)
        if self.render_enabled:
            self.renders += 1
            self.output.value = design_html(self.design)
        return self.design

    def _ipython_display_(self) -> None:
        display(self.ui)
