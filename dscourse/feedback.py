"""Feedback for exercises: specific, friendly, and never just "wrong".

An exercise's check function runs the learner's code (on several seeds and
fault plans, some not shown in the notebook) and returns a ``Feedback``: did
it pass, what was checked, what went wrong and where, and a hint. It shows as
text in the notebook, so nbval can compare it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Feedback:
    exercise: str
    passed: bool
    checks: list = field(default_factory=list)   # (description, ok) pairs
    problem: str = ""
    hint: str = ""

    def add(self, description: str, ok: bool) -> bool:
        self.checks.append((description, bool(ok)))
        return bool(ok)

    def call(self, fn: Callable, *args: Any) -> tuple[bool, Any]:
        """Run the learner's ``fn(*args)``: ``(True, result)``, or ``(False, None)`` with
        ``problem`` saying what it raised (so a bug is reported, never a crashed notebook)."""
        try:
            return True, fn(*args)
        except NotImplementedError:
            self.problem = ("the exercise is not solved yet: replace the "
                            "`raise NotImplementedError` line with your solution")
        except Exception as exc:   # the learner's code may raise anything
            shown = ", ".join(_short(a) for a in args)
            self.problem = (f"your function raised {type(exc).__name__}: {exc}"
                            + (f" (called with {shown})" if args else ""))
        return False, None

    def __str__(self) -> str:
        head = (f"✅ {self.exercise}: well done." if self.passed
                else f"❌ {self.exercise}: not yet.")
        lines = [head]
        for description, ok in self.checks:
            lines.append(f"   {'✓' if ok else '✗'} {description}")
        if not self.passed and self.problem:
            lines.append(f"   What went wrong: {self.problem}")
        if not self.passed and self.hint:
            lines.append(f"   Hint: {self.hint}")
        return "\n".join(lines)

    __repr__ = __str__

    def __bool__(self) -> bool:
        return self.passed


def _short(value: Any, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
