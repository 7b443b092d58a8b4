"""Raft views: the servers' logs, who led when, and the election-timing CDF.

Each drawing reads plain data (a ``ClusterSnapshot``, a list of
``RoleSpan``, the trials of the election-timing experiment), never live
servers, and has a text twin:

* ``draw_logs(snapshot)`` / ``snapshot.table()``: one row per server, one box
  per entry coloured by its term; committed entries are solid, uncommitted
  ones hatched; the server's role, term and commit index on the left;
* ``draw_timeline(spans)`` / ``timeline_table(spans)``: who was leader,
  candidate, follower or down, in which term, over time;
* ``draw_election_cdf(results)`` / ``election_table(rows)``: the paper's
  Figure 16 (top) reproduced: for each election-timeout range, the
  cumulative distribution of the time without a leader after a crash.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

from matplotlib.patches import Rectangle

from ..consensus.raft.state import ClusterSnapshot, RoleSpan
from ..consensus.raft.timing import PAPER_REPORTS
from ..sim.table import TextTable, format_table
from .plots import GREY, PALETTE, ROLE_COLOURS, colour, figure

TERM_COLOURS = PALETTE[1:7]


def term_colour(term: int) -> str:
    return TERM_COLOURS[(term - 1) % len(TERM_COLOURS)]


def draw_logs(snap: ClusterSnapshot, *, title: str | None = None, ax=None, max_entries: int = 30,
              show_commands: bool = True):
    """Each server's log as a row of boxes; returns the matplotlib Figure."""
    servers = snap.servers
    longest = max([len(s.log_terms) for s in servers] + [1])
    shown = min(longest, max_entries)
    fig, ax = (ax.figure, ax) if ax is not None else figure(min(max(4.5, 2.2 + 0.42 * shown), 9.0),
                                                             0.7 + 0.45 * len(servers))
    ax.grid(False)
    ax.set_axis_off()
    first = max(1, longest - shown + 1)               # the newest entries if the logs are long
    for row, s in enumerate(servers):
        y = len(servers) - 1 - row
        down = s.status != "up"
        label = f"{s.node}  {s.role if not down else s.status}, t{s.term}"
        ax.text(first - 0.6, y + 0.4, label, ha="right", va="center", fontsize=8,
                color=GREY if down else ROLE_COLOURS.get(s.role, "black"),
                fontweight="bold" if s.role == "leader" and not down else "normal")
        for i in range(first, first + shown):
            if i > len(s.log_terms):
                break
            term = s.log_terms[i - 1]
            committed = i <= s.commit_index
            ax.add_patch(Rectangle((i - 0.45, y + 0.05), 0.9, 0.7, facecolor=term_colour(term),
                                   alpha=0.95 if committed else 0.35,
                                   hatch=None if committed else "///", edgecolor="black",
                                   linewidth=0.8 if committed else 0.5))
            ax.text(i, y + 0.4, str(term), ha="center", va="center", fontsize=8)
        if first <= s.commit_index + 0.5 <= first + shown:
            ax.plot([s.commit_index + 0.5] * 2, [y, y + 0.8], color="black", linewidth=1.6)
    for i in range(first, first + shown):
        ax.text(i, len(servers) + 0.05, str(i), ha="center", va="bottom", fontsize=7, color=GREY)
    ax.set_xlim(first - 4.2, first + max(shown, 6))
    ax.set_ylim(-0.3, len(servers) + 0.5)
    ax.set_title(title if title is not None else
                 f"logs at t = {snap.time:.0f} ms (solid = committed)",
                 fontsize=10)
    return fig


def timeline_table(spans: Sequence[RoleSpan], *, limit: int | None = 40) -> TextTable:
    rows = [(s.node, s.role, s.term, f"{s.start:.1f}", f"{s.end:.1f}") for s in spans]
    title = None
    if limit is not None and len(rows) > limit:
        title = f"(first {limit} of {len(rows)} spans)"
        rows = rows[:limit]
    return format_table(["server", "role", "term", "from ms", "to ms"], rows, title=title)


def draw_timeline(spans: Sequence[RoleSpan], *, nodes: Sequence[Any] | None = None,
                  title: str = "who believed what, when", ax=None):
    """One lane per server: leader, candidate, follower or down, with the term; returns the Figure."""
    nodes = sorted({s.node for s in spans}, key=str) if nodes is None else list(nodes)
    lane = {n: i for i, n in enumerate(nodes)}
    fig, ax = (ax.figure, ax) if ax is not None else figure(8.0, 0.8 + 0.4 * len(nodes))
    ax.grid(False)
    end = max([s.end for s in spans] + [1.0])
    for s in spans:
        if s.node not in lane:
            continue
        y = lane[s.node]
        fill = GREY if s.role == "down" else ROLE_COLOURS.get(s.role, PALETTE[0])
        ax.broken_barh([(s.start, max(s.end - s.start, end * 0.002))], (y - 0.35, 0.7),
                       facecolors=fill, alpha=0.9 if s.role == "leader" else 0.55)
        if s.role == "leader" and s.end - s.start > end * 0.04:
            ax.text((s.start + s.end) / 2, y, f"leader t{s.term}", ha="center", va="center",
                    fontsize=7, color="white")
    ax.set_yticks(range(len(nodes)), [str(n) for n in nodes])
    ax.set_ylim(len(nodes) - 0.5, -0.5)
    ax.set_xlim(0, end)
    ax.set_xlabel("virtual time (ms)")
    handles = [Rectangle((0, 0), 1, 1, color=ROLE_COLOURS[r], alpha=0.7, label=r)
               for r in ("leader", "candidate", "follower")]
    handles.append(Rectangle((0, 0), 1, 1, color=GREY, label="down"))
    ax.legend(handles=handles, fontsize=7, frameon=False, ncol=4, loc="upper right",
              bbox_to_anchor=(1.0, 1.25))
    ax.set_title(title, fontsize=10, loc="left")
    return fig


def draw_election_cdf(results: Mapping[tuple, Sequence[Any]], *, title: str | None = None,
                      ax=None):
    """Figure 16 (top) of the paper, measured: the CDF of the time without a leader.

    Each range's line reaches the fraction of its trials that elected a
    leader within the cap; trials that did not stay below the line's top.
    """
    fig, ax = (ax.figure, ax) if ax is not None else figure(7.0, 3.6)
    for i, (r, trials) in enumerate(results.items()):
        total = len(trials)
        xs = sorted(t.downtime for t in trials if math.isfinite(t.downtime))
        label = f"{r[0]:g}-{r[1]:g} ms"
        if not xs:
            ax.plot([], [], color=colour(i), label=f"{label} (no leader within the cap)")
            continue
        ys = [(k + 1) / total for k in range(len(xs))]
        ax.step(xs, ys, where="post", color=colour(i), linewidth=1.6, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("time without leader (ms)")
    ax.set_ylabel("cumulative fraction of trials")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.set_title(title or "time to elect a new leader after a crash (5 servers)", fontsize=10)
    return fig


def _ms(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:.0f}"


def election_table(rows: Iterable[dict], *, cap: float | None = None) -> TextTable:
    """The experiment as text: per range, percentiles of the downtime and split-vote rates."""
    out = []
    for row in rows:
        out.append((row["range"], row["trials"], _ms(row["median"]), _ms(row["p90"]),
                    _ms(row["p99"]), _ms(row["max"]), row["unelected"],
                    f"{row['mean_rounds']:.2f}", f"{100 * row['split_vote_rate']:.1f}%",
                    f"{100 * row['trials_with_split']:.0f}%"))
    title = None if cap is None else (f"downtime in ms; 'never' = no leader within the cap of "
                                      f"{cap / 1000:g} s")
    return format_table(["timeouts", "trials", "median", "p90", "p99", "max", "no leader",
                         "rounds", "split votes", "trials w/ split"], out, title=title)


def paper_comparison_table(rows: Iterable[dict]) -> TextTable:
    """What Figure 16 and section 9.3 of the paper report, beside what was measured here."""
    out = []
    for row in rows:
        paper = PAPER_REPORTS.get(row["range"], "shown only in the figure")
        ours = (f"median {_ms(row['median'])}, max {_ms(row['max'])}"
                if row["unelected"] < row["trials"] else "no leader within the cap")
        if 0 < row["unelected"] < row["trials"]:
            ours += f" ({row['unelected']} of {row['trials']} never)"
        out.append((row["range"], paper, ours))
    return format_table(["timeouts", "paper (Ongaro & Ousterhout 2014, §9.3, Fig. 16)",
                         "measured here (ms)"], out)
