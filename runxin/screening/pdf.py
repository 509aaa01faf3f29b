"""Printable code sheets: one slip per student with the one-time code and a QR code to cut and hand out."""

from io import BytesIO

from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"  # reportlab's built-in CID font for Simplified Chinese: no font file to ship
COLUMNS, ROWS = 2, 5


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def code_url(code: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/screening/c/{code}/"


def spaced(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def _qr(c: canvas.Canvas, text: str, x: float, y: float, size: float) -> None:
    widget = QrCodeWidget(text, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, c, x, y)


def code_sheet(*, campaign, school_class, targets) -> bytes:
    """A4 pages of 10 slips (2 × 5). Each slip: campaign, class, student, the code, its QR code and the
    address to type it in."""
    font = _font()
    out = BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setTitle(f"{campaign.name} · {school_class.name}")
    width, height = A4
    margin = 12 * mm
    slip_w = (width - 2 * margin) / COLUMNS
    slip_h = (height - 2 * margin) / ROWS
    entry = f"{settings.SITE_URL.rstrip('/')}/screening/c/"
    for n, target in enumerate(targets):
        if n and n % (COLUMNS * ROWS) == 0:
            c.showPage()
        col, row = n % COLUMNS, (n // COLUMNS) % ROWS
        x = margin + col * slip_w
        y = height - margin - (row + 1) * slip_h
        c.setDash(3, 3)
        c.setStrokeGray(0.6)
        c.rect(x, y, slip_w, slip_h)
        c.setDash()
        pad = 5 * mm
        c.setFillGray(0)
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
        _qr(c, code_url(target.access_code), x + slip_w - pad - qr_size, y + (slip_h - qr_size) / 2, qr_size)
    if not targets:
        c.setFont(font, 12)
        c.drawString(margin, height - margin - 10 * mm, _("Everyone in this class has finished."))
    c.showPage()
    c.save()
    return out.getvalue()
