"""Showing views inside a widget: figures as PNG images, tables as preformatted text.

Panels redraw their views after every click. Writing them into an
``ipywidgets.Output`` with ``display`` looks natural but misbehaves outside a
browser: nbclient can stall for minutes waiting on the output widget, and
nbval sees the redraws of a cell that drives a panel as unexpected outputs.
A ``ViewArea`` instead puts each view into ordinary widgets (an ``Image`` for a
matplotlib figure, an ``HTML`` ``<pre>`` for a text table, the widget itself
for a widget), so a redraw is only a change of widget values.
"""

from __future__ import annotations

import html
import io
from typing import Any, Iterable

import ipywidgets as w
from matplotlib.figure import Figure


def figure_png(fig: Figure, dpi: int = 90) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def text_html(text: Any) -> str:
    return f"<pre style='font-size:11px; line-height:1.25; margin:2px 0'>{html.escape(str(text))}</pre>"


def as_widget(view: Any) -> w.Widget:
    """One view result as a widget: figures become images, anything else text."""
    if isinstance(view, w.Widget):
        return view
    if isinstance(view, Figure):
        return w.Image(value=figure_png(view), format="png", layout=w.Layout(max_width="100%"))
    return w.HTML(text_html(view))


class ViewArea(w.VBox):
    """A box whose children are the panel's current views."""

    def show(self, views: Iterable[Any]) -> None:
        self.children = tuple(as_widget(v) for v in views)

    def texts(self) -> list[str]:
        """The text of every table shown (what a screen reader reads)."""
        return [c.value for c in self.children if isinstance(c, w.HTML)]
