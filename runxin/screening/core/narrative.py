"""FHIR narratives (`text`, status generated): a small XHTML summary a person can read in any FHIR viewer.

Everything is escaped; only the elements FHIR allows in a narrative are written (div, p, b, table, tr, th, td).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

XHTML = "http://www.w3.org/1999/xhtml"


def narrative(title: str, *, paragraphs: Iterable[str] = (),
              table: tuple[Sequence[str], Iterable[Sequence[object]]] | None = None) -> dict:
    """`{"status": "generated", "div": ...}` with a bold title, paragraphs and an optional table."""
    parts = [f"<p><b>{escape(title)}</b></p>"]
    parts += [f"<p>{escape(p)}</p>" for p in paragraphs if p]
    if table is not None:
        head, rows = table
        body = "".join("<tr>" + "".join(f"<td>{escape(_text(c))}</td>" for c in row) + "</tr>" for row in rows)
        if body:
            parts.append("<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>" + body + "</table>")
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{"".join(parts)}</div>'}


def _text(value: object) -> str:
    return "" if value is None else str(value)
