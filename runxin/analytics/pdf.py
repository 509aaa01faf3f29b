"""The analytics PDFs (screening reports, the yearly white paper): a shared base for Chinese text, tables and bar
charts on A4 pages (reportlab's platypus with the CID font every PDF reader has, runxin/printing.py), then each
report's own block. Text given to the base is plain text: it is escaped here (a "<5" is a figure, not markup)."""

from collections.abc import Sequence
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from runxin import printing

MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN  # the frame's width
INK = colors.HexColor("#1f2a37")
MUTED = colors.HexColor("#5b6675")
LINE = colors.HexColor("#d9dee5")
HEAD = colors.HexColor("#eef1f4")
BRAND = colors.HexColor("#2f6f7e")


def styles() -> dict[str, ParagraphStyle]:
    font = printing.cjk_font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=20, leading=26, textColor=INK, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", fontName=font, fontSize=12, leading=16, textColor=MUTED,
                                   spaceAfter=10),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=14, leading=19, textColor=BRAND, spaceBefore=10,
                             spaceAfter=4),
        "h3": ParagraphStyle("h3", fontName=font, fontSize=10.5, leading=14, textColor=INK, spaceBefore=6,
                             spaceAfter=3),
        "body": ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, textColor=INK, spaceAfter=4),
        "note": ParagraphStyle("note", fontName=font, fontSize=8, leading=11, textColor=MUTED, spaceBefore=2,
                               spaceAfter=4),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5, textColor=INK),
        "num": ParagraphStyle("num", fontName=font, fontSize=7.5, leading=9.5, textColor=INK, alignment=2),
        "headcell": ParagraphStyle("headcell", fontName=font, fontSize=7.5, leading=9.5, textColor=INK),
    }


def paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, first_width: float | None = None) -> Table:
    """A table of plain-text cells: the header shaded and repeated on each page, the first column the row
    labels (wrapped), the others numbers (right-aligned); widths share the frame."""
    st = styles()
    columns = len(header)
    first = first_width or (WIDTH * (0.26 if columns > 4 else 0.4))
    rest = (WIDTH - first) / max(columns - 1, 1)
    data = [[paragraph(h, st["headcell"]) for h in header]]
    data += [[paragraph(c, st["cell"] if i == 0 else st["num"]) for i, c in enumerate(row)] for row in rows]
    result = Table(data, colWidths=[first] + [rest] * (columns - 1), repeatRows=1, hAlign="LEFT")
    result.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return result


def bar_chart(labels: Sequence[str], values: Sequence[int | float | None], *, percent: bool = False,
              height: float = 45 * mm, hidden_mark: str = "*") -> Drawing:
    """Vertical bars, one per label, each with its value above; a hidden value (None) draws no bar but its mark,
    so a bar's height never shows a figure the tables withhold."""
    font = printing.cjk_font()
    drawing = Drawing(WIDTH, height)
    left, bottom, top = 4 * mm, 9 * mm, 6 * mm
    plot_h = height - bottom - top
    count = max(len(labels), 1)
    slot = (WIDTH - left) / count
    peak = max([v for v in values if v is not None] or [0]) or 1
    drawing.add(Line(left, bottom, WIDTH, bottom, strokeColor=MUTED, strokeWidth=0.6))
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * slot
        drawing.add(String(x + slot / 2, bottom - 4 * mm, str(label), fontName=font, fontSize=7,
                           fillColor=INK, textAnchor="middle"))
        if value is None:
            drawing.add(String(x + slot / 2, bottom + 1.5 * mm, hidden_mark, fontName=font, fontSize=8,
                               fillColor=MUTED, textAnchor="middle"))
            continue
        bar_h = plot_h * value / peak
        drawing.add(Rect(x + slot * 0.2, bottom, slot * 0.6, bar_h, fillColor=BRAND, strokeColor=None))
        text = f"{value:.1f}%" if percent else f"{value:,}"
        drawing.add(String(x + slot / 2, bottom + bar_h + 1.2 * mm, text, fontName=font, fontSize=7,
                           fillColor=INK, textAnchor="middle"))
    return drawing


def document(story: list, *, title: str, footer: str = "") -> bytes:
    """The story on A4 pages with the title in the PDF's metadata and a footer with the page number."""
    font = printing.cjk_font()
    buffer = BytesIO()

    def on_page(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 9 * mm, footer)
        canvas.drawRightString(A4[0] - MARGIN, 9 * mm, str(doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 4 * mm, title=title, creator="runxin")
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


# >>> white paper
def white_paper(paper) -> bytes:
    """The yearly white paper (white_paper.WhitePaper) as a PDF: the same sections, tables and notes as the HTML
    preview, with bar charts; every figure as published (hidden ones as * or —)."""
    st = styles()
    story: list = [paragraph(paper.title, st["title"]), paragraph(paper.subtitle, st["subtitle"])]
    for section in paper.sections:
        story.append(paragraph(section.title, st["h2"]))
        for text in section.paragraphs:
            story.append(paragraph(text, st["body"]))
        for tab in section.tables:
            block = [paragraph(tab.title, st["h3"]),
                     table(tab.columns, [[label, *(value.text for value in values)] for label, values in tab.rows])]
            if tab.note:
                block.append(paragraph(tab.note, st["note"]))
            # A short table stays on one page with its title; a long one breaks, its header repeated.
            story.extend([KeepTogether(block)] if len(tab.rows) <= 15 else block)
        for chart in section.charts:
            drawing = bar_chart(chart.labels, chart.values, percent=chart.percent)
            story.append(KeepTogether([paragraph(chart.title, st["h3"]), drawing, Spacer(1, 2 * mm)]))
    return document(story, title=f"{paper.title} · {paper.subtitle}", footer=f"{paper.title} · {paper.subtitle}")
# <<< white paper


# >>> screening report
# Characters the CID font has no glyph for (a reader draws a box), and what the report's PDF writes instead: the
# hidden figures are "*" in both.
_NO_GLYPH = str.maketrans({"\u00b7": "\u30fb", "\u25e6": "\u25cb", "\u2013": "\u2014", "\u2022": "\u25cf"})


def _glyphs(text) -> str:
    return str(text).translate(_NO_GLYPH)


def screening_report(report) -> bytes:
    """A campaign's screening report (screening_report.Report) as a PDF: the page's sections and tables, the
    bar charts drawn from the same figures (hidden ones as a mark, never a bar), and the named key students
    only where the page names them."""
    from django.utils.translation import gettext as _

    st = styles()
    campaign, unit = report.campaign, report.unit
    what, as_of_label, key_label = _("Screening report"), _("Figures as of"), _("Key students")
    title = _glyphs(f"{campaign.name} · {what}")
    as_of = report.as_of.astimezone().strftime("%Y-%m-%d %H:%M") if report.as_of else _("not computed yet")

    def text(value, style: str) -> Paragraph:
        return paragraph(_glyphs(value), st[style])

    story: list = [text(title, "title"), text(
        f"{unit.name} · {campaign.window_start:%Y-%m-%d} – {campaign.window_end:%Y-%m-%d} · "
        f"{as_of_label} {as_of}", "subtitle")]
    if not report.exact:
        story.append(text(_("* hidden: a figure from fewer than 5 students, or one that would let such a figure "
                            "be worked out. —: a share of a hidden figure."),
                          "note"))
    if not report.computed:
        story.append(text(_("The figures of this campaign have not been computed yet: they are refreshed every "
                            "few minutes."), "body"))
    for section in report.sections:
        # The section's heading stays on the page of its first table.
        heading = [text(section.title, "h2")] + ([text(section.intro, "body")] if section.intro else [])
        if not section.tables:
            story.extend(heading)
        for tab in section.tables:
            block = [*heading, text(tab.title, "h3"), table([_glyphs(h) for h in tab.header],
                                                          [[_glyphs(c.text) for c in row] for row in tab.rows])]
            heading = []
            if tab.note:
                block.append(text(tab.note, "note"))
            story.extend([KeepTogether(block)] if len(tab.rows) <= 15 else block)
            chart = tab.chart or {}
            if chart.get("kind") in ("bar", "hbar") and len(chart.get("series", ())) == 1 and chart["categories"]:
                labels = [_glyphs(c)[:8] for c in chart["categories"]]
                story.append(bar_chart(labels, chart["series"][0]["data"], percent=bool(chart.get("percent")),
                                       hidden_mark="*"))
                story.append(Spacer(1, 2 * mm))
    for block in report.key_students:
        story.append(text(f"{key_label} · {block.school.name}", "h2"))
        rows = [[_glyphs(v) for v in (row.school_class.name if row.school_class else "", row.student.name,
                                      "；".join(row.reasons), row.level_name, row.status)] for row in block.rows]
        if rows:
            story.append(table([_("Class"), _("Name"), _("Why"), _("Warning level"), _("Action status")], rows,
                               first_width=WIDTH * 0.14))
        else:
            story.append(text(_("No key student in this screening."), "body"))
    story.append(text(_("A screening band is not a diagnosis. Key students are assessed by the school's psychology "
                        "teacher."), "note"))
    return document(story, title=title, footer=_glyphs(f"{title} · {unit.name}"))
# <<< screening report
