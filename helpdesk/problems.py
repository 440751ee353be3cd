"""A problem found in a content file, always reported as `path:line: message`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "message": self.message}


class ContentError(RuntimeError):
    """Raised when the content cannot be served; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        listing = "\n".join(str(p) for p in self.problems)
        super().__init__(f"the help content has {len(self.problems)} problem(s):\n{listing}")
