"""The class credential sheet (账号卡): one slip per student to cut out and hand over — school, class, name,
username, the first password (or "already set"), a QR code of the sign-in page with the username filled in, and
how to sign in. Written in Chinese whatever the teacher's page language: it is for the students.

Same conventions as the screening code sheets (runxin/screening/pdf.py): A4, reportlab's built-in CID font for
Simplified Chinese (no font file), reportlab's own QR code (no other dependency).
"""

from io import BytesIO
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from runxin import printing

COLUMNS, ROWS = 2, 4
SHEET_LANGUAGE = "zh-hans"


def sign_in_url(username: str = "") -> str:
    url = f"{settings.SITE_URL.rstrip('/')}{reverse('accounts:login')}"
    return f"{url}?{urlencode({'username': username})}" if username else url


def credential_sheet(*, school_class, entries) -> bytes:
    """A4 pages of 8 slips (2 × 4). `entries`: (row, first password or None) from students.sheet_entries."""
    with translation.override(SHEET_LANGUAGE):
        return _sheet(school_class, entries)


def _sheet(school_class, entries) -> bytes:
    font = printing.cjk_font()
    out = BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    school_name = school_class.school.name if school_class.school else ""
    c.setTitle(f"{school_name} {school_class.name} · {_('Student accounts')}")
    pad = 5 * mm
    for (row, password), (x, y, slip_w, slip_h) in zip(
            entries, printing.slips(c, len(entries), columns=COLUMNS, rows=ROWS), strict=True):
        top = y + slip_h - pad
        c.setFont(font, 8)
        c.drawString(x + pad, top - 2 * mm, f"{school_name} {school_class.name}"[:40])
        c.setFont(font, 13)
        c.drawString(x + pad, top - 9 * mm, row.student.name[:16])
        c.setFont(font, 8)
        c.drawString(x + pad, top - 15 * mm, _("Username"))
        c.drawString(x + pad, top - 24 * mm, _("First password"))
        c.setFont("Courier-Bold", 14)
        c.drawString(x + pad, top - 20 * mm, row.user.username)
        if password:
            c.drawString(x + pad, top - 29 * mm, password)
        else:
            c.setFont(font, 10)
            c.drawString(x + pad, top - 29 * mm, _("Password already set"))
        c.setFont(font, 7)
        steps = [
            _("1. Scan the QR code, or open %(url)s") % {"url": sign_in_url()},
            _("2. Sign in with this username and first password."),
            _("3. Choose your own password at once; tell nobody."),
            _("Forgot it? Ask your head teacher for a new one."),
        ]
        for i, step in enumerate(steps):
            c.drawString(x + pad, y + pad + (len(steps) - 1 - i) * 3.6 * mm, step[:62])
        qr_size = min(slip_h - 2 * pad - 16 * mm, 30 * mm)
        printing.qr(c, sign_in_url(row.user.username), x + slip_w - pad - qr_size, top - qr_size - 2 * mm, qr_size)
    if not entries:
        c.setFont(font, 12)
        c.drawString(printing.MARGIN, A4[1] - printing.MARGIN - 10 * mm, _("No student of this class has an account yet."))
    c.showPage()
    c.save()
    return out.getvalue()
