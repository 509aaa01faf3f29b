"""Both voices' PDFs render Chinese text: the text is in the file (extracted back as written), and a rendered page
shows real glyphs, not blanks or tofu. Rendering and extraction with pypdfium2 (PDFium): each Chinese character's
box on the page image must hold ink, and two different characters must not look alike (tofu draws every missing
glyph as the same box). The reports use reportlab's built-in CID font STSong-Light, so the reader's system font
draws it (fonts-wqy-microhei, installed with the browser: make browser-deps)."""

import uuid

import pytest

from runxin.screening import services
from runxin.screening.models import Submission

from .helpers import gad7_answers, phqa_answers, target_of

pypdfium2 = pytest.importorskip("pypdfium2")

pytestmark = pytest.mark.django_db

SCALE = 3  # pixels per point of the rendered page
# Characters STSong-Light has no glyph for: a reader draws a box (the PDFs write ・ ● ← instead).
NO_GLYPH = {"\u00b7", "\u2022", "\u25c0"}


def pdf_text(content: bytes) -> str:
    document = pypdfium2.PdfDocument(content)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def _glyphs(content: bytes, word: str) -> list:
    """The first page's rendered image cropped to each character of `word` (where the text layer has it)."""
    page = pypdfium2.PdfDocument(content)[0]
    text = page.get_textpage()
    found = text.get_text_range().find(word)
    assert found >= 0, f"{word!r} is not on the first page"
    image = page.render(scale=SCALE, grayscale=True).to_pil()
    height = page.get_height()
    crops = []
    for index in range(found, found + len(word)):
        left, bottom, right, top = text.get_charbox(index)
        crops.append(image.crop((int(left * SCALE), int((height - top) * SCALE),
                                 int(right * SCALE) + 1, int((height - bottom) * SCALE) + 1)))
    return crops


def _ink(crop) -> float:
    pixels = crop.convert("L").tobytes()
    return sum(1 for p in pixels if p < 128) / max(1, len(pixels))


def _difference(a, b) -> float:
    size = (min(a.width, b.width), min(a.height, b.height))
    a, b = a.convert("L").resize(size).tobytes(), b.convert("L").resize(size).tobytes()
    return sum(1 for x, y in zip(a, b, strict=True) if (x < 128) != (y < 128)) / (size[0] * size[1])


def assert_drawn(content: bytes, word: str) -> None:
    assert_glyphs(word, _glyphs(content, word))


def assert_glyphs(word: str, crops: list) -> None:
    for char, crop in zip(word, crops, strict=True):
        assert 0.03 < _ink(crop) < 0.7, f"{char!r} is blank or a filled box ({_ink(crop):.2f})"
    for n in range(len(crops) - 1):
        if word[n] != word[n + 1]:
            assert _difference(crops[n], crops[n + 1]) > 0.08, f"{word[n]!r} and {word[n + 1]!r} look alike (tofu)"


@pytest.fixture
def submission(world, campaign):
    accepted = services.submission_accept(target=target_of(campaign, world.a1), client_id=uuid.uuid4(),
                                          answers={"phqa": phqa_answers(1, q9=1), "gad7": gad7_answers(1)})
    return Submission.objects.get(pk=accepted.submission_id)


def test_the_professional_pdf_renders_chinese(world, client_for, submission):
    response = client_for(world.psych).get(f"/screening/results/{submission.pk}/report.pdf",
                                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    text = pdf_text(response.content)
    # The student, the school, the instrument's Chinese title and item 9 as the student read it.
    for expected in ("张一", "东区第一中学", "青少年版患者健康问卷（PHQ-A）", "有不如死掉或用某种方式伤害自己的念头"):
        assert expected in text.replace("\n", ""), expected
    assert not set(text) & NO_GLYPH
    assert_drawn(response.content, "东区第一中学")


def test_the_careful_pdf_renders_chinese(world, client_for, submission):
    client_for(world.psych).post(f"/screening/results/{submission.pk}/feedback/share/", {"audience": "parents"})
    response = client_for(world.parent).get(f"/screening/family/reports/{submission.pk}.pdf",
                                            HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content).replace("\n", "")
    assert "张一" in text and "东区第一中学" in text and "全国心理援助热线" in text
    assert not set(text) & NO_GLYPH
    assert_drawn(response.content, "东区第一中学")
    assert_drawn(response.content, "张一")


def test_the_check_sees_blanks_and_tofu():
    """The check itself: empty boxes and one box drawn for every character are refused."""
    from PIL import Image, ImageDraw

    blank = Image.new("L", (30, 30), 255)
    tofu = blank.copy()
    ImageDraw.Draw(tofu).rectangle((4, 2, 25, 27), outline=0, width=2)
    with pytest.raises(AssertionError, match="blank"):
        assert_glyphs("张一", [blank, blank])
    with pytest.raises(AssertionError, match="tofu"):
        assert_glyphs("张一", [tofu, tofu.copy()])
