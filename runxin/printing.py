"""Printed sheets of cut-out slips (the class code sheet, the class credential sheet): the CJK font, QR codes
and the slip grid, in one place. Project-level (no app), so any app's PDF can use it."""

from collections.abc import Iterator

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

# A CID font every PDF reader has for simplified Chinese: nothing to embed or ship.
FONT = "STSong-Light"
MARGIN = 12 * mm


def cjk_font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def qr(c: canvas.Canvas, text: str, x: float, y: float, size: float) -> None:
    """A QR code of `text`, `size` points square, its lower left corner at (x, y)."""
    widget = QrCodeWidget(text, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, c, x, y)


def slips(c: canvas.Canvas, count: int, *, columns: int, rows: int) -> Iterator[tuple[float, float, float, float]]:
    """(x, y, width, height) of `count` slips on A4 pages, `columns` × `rows` a page, each outlined with a dashed
    cutting line; a new page begins when one is full. The caller writes inside and ends the last page."""
    width, height = A4
    slip_w = (width - 2 * MARGIN) / columns
    slip_h = (height - 2 * MARGIN) / rows
    for n in range(count):
        if n and n % (columns * rows) == 0:
            c.showPage()
        col, row = n % columns, (n // columns) % rows
        x = MARGIN + col * slip_w
        y = height - MARGIN - (row + 1) * slip_h
        c.setDash(3, 3)
        c.setStrokeGray(0.6)
        c.rect(x, y, slip_w, slip_h)
        c.setDash()
        c.setFillGray(0)
        yield x, y, slip_w, slip_h
