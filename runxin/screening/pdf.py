"""Printable code sheets: one slip per student with the one-time code and a QR code to cut and hand out."""

from io import BytesIO

from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from runxin import printing

COLUMNS, ROWS = 2, 5


def code_url(code: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/screening/c/{code}/"


def spaced(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def code_sheet(*, campaign, school_class, targets) -> bytes:
    """A4 pages of 10 slips (2 × 5). Each slip: campaign, class, student, the code, its QR code and the
    address to type it in."""
    font = printing.cjk_font()
    out = BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setTitle(f"{campaign.name} · {school_class.name}")
    entry = f"{settings.SITE_URL.rstrip('/')}/screening/c/"
    pad = 5 * mm
    for target, (x, y, slip_w, slip_h) in zip(
            targets, printing.slips(c, len(targets), columns=COLUMNS, rows=ROWS), strict=True):
        c.setFont(font, 8)
        c.drawString(x + pad, y + slip_h - pad - 2 * mm, f"{campaign.name}"[:40])
        c.drawString(x + pad, y + slip_h - pad - 6 * mm, f"{school_class.school.name if school_class.school else ''} "
                                                         f"{school_class.name}"[:40])
        c.setFont(font, 13)
        c.drawString(x + pad, y + slip_h - pad - 13 * mm, target.student.name[:16])
        c.setFont("Courier-Bold", 17)
        c.drawString(x + pad, y + slip_h - pad - 23 * mm, spaced(target.access_code))
        c.setFont(font, 7)
        c.drawString(x + pad, y + pad + 6 * mm, _("Scan the QR code, or open"))
        c.drawString(x + pad, y + pad + 2.5 * mm, entry[:60])
        c.drawString(x + pad, y + pad - 1 * mm, _("and type the code. Keep it to yourself."))
        qr_size = min(slip_h - 2 * pad, 32 * mm)
        printing.qr(c, code_url(target.access_code), x + slip_w - pad - qr_size, y + (slip_h - qr_size) / 2, qr_size)
    if not targets:
        c.setFont(font, 12)
        c.drawString(printing.MARGIN, A4[1] - printing.MARGIN - 10 * mm, _("Everyone in this class has finished."))
    c.showPage()
    c.save()
    return out.getvalue()


# >>> individual reports
# The two voices of the individual report as A4 documents (individual_report.py builds what they say).


def _report_styles(font: str) -> dict:
    from reportlab.lib.styles import ParagraphStyle

    base = {"fontName": font, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle("title", fontSize=16, leading=22, spaceAfter=4, **base),
        "head": ParagraphStyle("head", fontSize=12, leading=17, spaceBefore=8, spaceAfter=3, **base),
        "text": ParagraphStyle("text", fontSize=10, leading=15, **base),
        "small": ParagraphStyle("small", fontSize=8.5, leading=12, textColor="#555555", **base),
        "item": ParagraphStyle("item", fontSize=10, leading=15, leftIndent=10, bulletIndent=0, **base),
        "cell": ParagraphStyle("cell", fontSize=8.5, leading=11, **base),
        "notice": ParagraphStyle("notice", fontSize=11, leading=17, borderColor="#c0392b", borderWidth=1,
                                 borderPadding=6, backColor="#fdf0ee", spaceBefore=6, spaceAfter=10, **base),
    }


# Characters the built-in CID font has no glyph for (a reader draws a box), and the ones it has that look alike.
_CID_SAFE = str.maketrans({"\u00b7": "\u30fb", "\u2022": "\u25cf", "\u25c0": "\u2190"})


def _safe(text) -> str:
    return str(text).translate(_CID_SAFE)


def _p(text, style):
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    return Paragraph(escape(_safe(text)), style)


def _table(rows, widths, font: str):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    rows = [[_safe(cell) if isinstance(cell, str) else cell for cell in row] for row in rows]
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 8.5), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4"))]))
    return table


def _document(out, title: str):
    from reportlab.platypus import SimpleDocTemplate

    return SimpleDocTemplate(out, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=15 * mm,
                             bottomMargin=15 * mm, title=title)


def _history_chart(points, font: str):
    """A small line of the instrument's total over the student's screenings (two or more scored points)."""
    from reportlab.graphics.charts.lineplots import LinePlot
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    scored = [p for p in points if p.value is not None]
    drawing = Drawing(170 * mm, 38 * mm)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 12 * mm, 8 * mm, 150 * mm, 26 * mm
    plot.data = [[(n, float(p.value)) for n, p in enumerate(scored)]]
    plot.lines[0].strokeColor = colors.HexColor("#2f6f7e")
    plot.lines[0].strokeWidth = 1.5
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = -0.3, max(len(scored) - 0.7, 1)
    plot.xValueAxis.valueSteps = list(range(len(scored)))
    plot.xValueAxis.labels.fontName = font
    plot.xValueAxis.labelTextFormat = lambda n: f"{scored[int(n)].on:%Y-%m-%d}" if 0 <= int(n) < len(scored) else ""
    plot.xValueAxis.labels.fontSize = 7
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.valueMax = max(float(p.value) for p in scored) + 1  # the highest point inside the frame
    plot.yValueAxis.labels.fontName = font
    drawing.add(plot)
    return drawing


def professional_report_pdf(report, *, student_number: str) -> bytes:
    """The professional report (individual_report.ProfessionalReport): per instrument the scales with bands,
    validity, the signal and its reasons, critical items with their text and answer, and the history.
    `student_number` is the 学籍号 as the viewer may see it (masked or not)."""
    from django.utils import timezone
    from reportlab.platypus import Spacer

    font = printing.cjk_font()
    styles = _report_styles(font)
    student, submission = report.student, report.submission
    out = BytesIO()
    doc = _document(out, f"{student.name} · {report.campaign.name}")
    placement = " · ".join(x for x in [student.school.name if student.school_id else "",
                                       submission.target.school_class.name if submission.target.school_class else "",
                                       student_number] if x)
    story = [
        _p(_("Individual screening report (professional)"), styles["title"]),
        _p(f"{student.name} · {placement}", styles["text"]),
        _p(_("%(campaign)s · handed in %(at)s") % {
            "campaign": report.campaign.name,
            "at": timezone.localtime(submission.received_at).strftime("%Y-%m-%d %H:%M")}, styles["text"]),
        _p(_("For the school's psychology teacher and the district centre only. A screening is not a diagnosis: "
             "only a psychiatrist at a medical institution can diagnose a mental disorder."), styles["small"]),
    ]
    for section in report.sections:
        story.append(_p(f"{section.title} ({section.version})", styles["head"]))
        if section.not_scored:
            story.append(_p(_("Not scored (collect only)"), styles["text"]))
        else:
            rows = [[_("Scale"), _("Score"), _("Band")]]
            for line in section.scales:
                value = _("not scored") if line.value is None else str(line.value)
                if line.prorated:
                    value += " *"
                rows.append([_p(line.label, styles["cell"]), value, _p(line.band or "—", styles["cell"])])
            if len(rows) > 1:
                story.append(_table(rows, [70 * mm, 22 * mm, 86 * mm], font))
            if any(line.prorated for line in section.scales):
                story.append(_p(_("* missing answers filled in by the rule"), styles["small"]))
        if section.outcome:
            story.append(_p(_("Outcome: %(outcome)s") % {"outcome": section.outcome}, styles["text"]))
        story.append(_p(_("Validity: %(validity)s") % {"validity": section.validity}
                        + ("; " + "; ".join(section.validity_reasons) if section.validity_reasons else ""),
                        styles["text"]))
        story.append(_p(_("Signal: %(signal)s") % {"signal": section.risk}
                        + ("; " + "; ".join(section.risk_reasons) if section.risk_reasons else ""), styles["text"]))
        if section.critical:
            story.append(_p(_("Critical items"), styles["head"]))
            rows = [[_("No."), _("Question"), _("Answer"), _("Why it matters")]]
            rows += [[line.number, _p(line.text, styles["cell"]),
                      _p(_("left blank") if line.unanswered else line.answer, styles["cell"]),
                      _p(line.reason, styles["cell"])] for line in section.critical]
            story.append(_table(rows, [12 * mm, 72 * mm, 34 * mm, 60 * mm], font))
        if section.earlier:
            story.append(_p(_("Earlier results of this instrument"), styles["head"]))
            if sum(1 for p in section.history if p.value is not None) >= 2:
                story.append(_history_chart(section.history, font))
            rows = [[_("Date"), _("Campaign"), _("Score"), _("Band"), _("Validity")]]
            rows += [[f"{p.on:%Y-%m-%d}", _p(p.campaign + (" ←" if p.current else ""), styles["cell"]),
                      "—" if p.value is None else str(p.value), _p(p.band or "—", styles["cell"]),
                      _p(str(p.validity) + (" · " + _("critical item") if p.critical else ""), styles["cell"])]
                     for p in section.history]
            story.append(_table(rows, [22 * mm, 58 * mm, 16 * mm, 50 * mm, 32 * mm], font))
        story.append(Spacer(1, 3 * mm))
    doc.build(story)
    return out.getvalue()


def careful_report_pdf(report) -> bytes:
    """The careful report (individual_report.CarefulReport) for the student and the parents: the same words as
    the page, with the help lines; no score, band or question text."""
    font = printing.cjk_font()
    styles = _report_styles(font)
    out = BytesIO()
    doc = _document(out, f"{report.title} · {report.student_name}")
    story = [
        _p(report.title, styles["title"]),
        _p(" · ".join(x for x in [report.student_name, report.school, report.class_name] if x), styles["text"]),
        _p(f"{report.campaign} · {report.taken_on:%Y-%m-%d}", styles["small"]),
    ]
    lines = " / ".join(f"{number} {label}" for number, label in report.hotlines)
    if report.urgent:
        story.append(_p(report.urgent_text + " " + lines, styles["notice"]))
    story.append(_p(_("What went well"), styles["head"]))
    story += [_p(f"● {text}", styles["item"]) for text in report.strengths]
    story.append(_p(_("How things are"), styles["head"]))
    story.append(_p(report.opening, styles["text"]))
    if report.look_after:
        story.append(_p(_("Worth looking after for now: %(areas)s.") % {"areas": "、".join(report.look_after)},
                        styles["text"]))
    story.append(_p(_("What you can do yourself"), styles["head"]))
    story += [_p(f"● {text}", styles["item"]) for text in report.student_steps]
    story.append(_p(_("For parents"), styles["head"]))
    story += [_p(f"● {text}", styles["item"]) for text in report.parent_steps]
    story.append(_p(_("Whom to ask"), styles["head"]))
    story.append(_p(_("The school's psychology teacher: %(names)s") % {
        "names": "、".join(report.psych_teachers) or _("ask the head teacher how to book a talk")}, styles["item"]))
    if report.head_teachers:
        story.append(_p(_("Head teacher: %(names)s") % {"names": "、".join(report.head_teachers)}, styles["item"]))
    story.append(_p(_("Help lines: %(lines)s") % {"lines": lines}, styles["item"]))
    story.append(_p(_("In danger now: call %(numbers)s.") % {"numbers": " / ".join(report.emergency)},
                    styles["item"]))
    story.append(_p(_("This feedback comes from one questionnaire. It helps the school understand how things have "
                      "been lately; it is not a medical diagnosis and says nothing about who you are. Only you, "
                      "your parents and the school's care staff see it."), styles["small"]))
    doc.build(story)
    return out.getvalue()
# <<< individual reports
