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
