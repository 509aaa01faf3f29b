"""Problems of a run, spilled to a JSON-lines file in line order so memory does not grow with the file."""

import heapq
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from .validation import Problem


class ProblemSpill:
    """Appends problems as they are found (they arrive in line order within one source)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.count = 0

    def add(self, problem: Problem) -> None:
        self._file.write(json.dumps(problem._asdict(), ensure_ascii=False))
        self._file.write("\n")
        self.count += 1

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


def read(path: str | Path) -> Iterator[Problem]:
    with open(path, encoding="utf-8") as lines:
        for text in lines:
            data = json.loads(text)
            yield Problem(data["line"], data["column"], data["message"], data["params"])


def merge(target: Path, *sources: Path) -> tuple[int, int, list[Problem]]:
    """Merge line-ordered problem files into `target`. Returns (problem count, rejected line count, the
    first 200 problems)."""
    total = lines = 0
    first: list[Problem] = []
    last_line = None
    streams = [read(p) for p in sources if p.exists()]
    with open(target, "w", encoding="utf-8") as out:
        for problem in heapq.merge(*streams, key=lambda p: p.line):
            out.write(json.dumps(problem._asdict(), ensure_ascii=False))
            out.write("\n")
            total += 1
            if problem.line != last_line:
                lines += 1
                last_line = problem.line
            if len(first) < 200:
                first.append(problem)
    for p in sources:
        if p != target and p.exists():
            p.unlink()
    return total, lines, first


def by_line(path: str | Path) -> Iterator[tuple[int, list[Problem]]]:
    """(line, its problems) in line order."""
    current: list[Problem] = []
    for problem in read(path):
        if current and problem.line != current[0].line:
            yield current[0].line, current
            current = []
        current.append(problem)
    if current:
        yield current[0].line, current
