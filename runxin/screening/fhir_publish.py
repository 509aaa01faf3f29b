"""What the FHIR views need from the site: its canonical base, the published instrument versions a
canonical URL names, and the subject of an exported result (学籍号 or a pseudonym). See docs/fhir.md."""

from __future__ import annotations

from django.conf import settings

from runxin.access import roles, scope

from .core.fhir_observations import subject_reference
from .models import InstrumentVersion


def site_base() -> str:
    """The base of every canonical URL runxin publishes: SITE_URL (…/screening/fhir/… is appended)."""
    return settings.SITE_URL.rstrip("/")


def published_version(code: str, version: str | None) -> InstrumentVersion | None:
    """The published version of an instrument a canonical URL names (`version` None: the latest published)."""
    versions = InstrumentVersion.objects.select_related("instrument").filter(instrument__code=code, is_published=True)
    if version is not None:
        return versions.filter(version=version).first()
    return versions.order_by("-published_at", "-pk").first()


def may_read_definition(user, version: InstrumentVersion) -> bool:
    """A published definition is no personal data. A shipped one (public domain or free use, in the source
    code anyway) is open to anyone, so a hospital's system can resolve its canonical URL; an uploaded one may
    be a licensed instrument (SCL-90, MHT) that the city may use but not redistribute, so only staff who
    run or follow screenings (SCREENING_PROGRESS) or manage instruments see it."""
    if version.source == InstrumentVersion.Source.SHIPPED:
        return True
    return user.is_authenticated and (scope.has_permission(user, roles.SCREENING_PROGRESS)
                                      or scope.has_permission(user, roles.INSTRUMENTS_MANAGE))


def subject_for(user, student, *, pseudonymous: bool) -> dict:
    """The Reference to the student in an exported result: their 学籍号 as identifier for a user who may see
    it in full (STUDENT_SENSITIVE for this student through their own roles: every clinical role does),
    else — or when asked — a pseudonymous identifier only."""
    full = not pseudonymous and roles.STUDENT_SENSITIVE in scope.ordinary_permissions(user, student)
    return subject_reference(student_id=student.pk, student_number=student.student_number if full else None,
                             base=site_base(), pseudonym_key=settings.SECRET_KEY)
