"""The student questionnaire (and the guardian's consent link): public pages that a one-time code opens.

A code signs the student into one campaign only: a signed cookie scoped to /screening/ (the pass) holds
the target's id, never a platform login, and costs the database nothing on each request. Each answer is saved as it is given (POST per item, or per page), so a closed browser
resumes where it stopped; the final submission carries an id made once on the device (see take.js).
Every page works without JavaScript; htmx and take.js only make it smoother.
"""

import json
import uuid
from functools import lru_cache, wraps

import orjson
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.shortcuts import render as django_render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from runxin.access import roles
from runxin.access.decorators import public, requires
from runxin.access.read_audit import client_ip

from . import flow, help, individual_report, selectors, services
from .core.definition import text_in
from .i18n import lang, respondent_title
from .models import CampaignTarget, ConsentRecord, ReportShare, Submission

# The pass: "target id:user id" signed with a timestamp (django.core.signing, the SECRET_KEY), in a cookie
# that the browser drops when it closes and that every questionnaire page refreshes. It expires after
# PASS_IDLE_SECONDS without a page; answers are saved on the server, so typing the code again resumes.
PASS_COOKIE = "rx_screening_pass"  # noqa: S105 — a cookie name, not a secret
PASS_SALT = "runxin.screening.pass"  # noqa: S105 — a signing namespace; the key is SECRET_KEY
PASS_IDLE_SECONDS = 2 * 60 * 60
# Wrong codes per client address before the code page refuses for a while. A school lab shares one
# address, so the limit is generous; guessing an 8-character code from 31 symbols (8.5 × 10^11) is hopeless
# at this rate anyway. The count lives in Django's cache (per process with the default local-memory
# cache; configure a shared cache such as Redis to make it one count across web workers).
CODE_FAILURES_ALLOWED = 100
CODE_FAILURE_WINDOW = 600


def pass_value(target_id: int, user_id: int | None = None) -> str:
    """The cookie value of a pass, as the browser holds it (also used by bench/submit_burst.py)."""
    return signing.get_cookie_signer(salt=PASS_COOKIE + PASS_SALT).sign(f"{target_id}:{user_id or ''}")


def _read_pass(request) -> tuple[int, int | None] | None:
    raw = request.get_signed_cookie(PASS_COOKIE, default=None, salt=PASS_SALT, max_age=PASS_IDLE_SECONDS)
    target, _sep, user = (raw or "").partition(":")
    if not target.isdigit() or (user and not user.isdigit()):
        return None
    return int(target), (int(user) if user else None)


def _set_pass(response, target_id: int, user_id: int | None = None):
    response.set_cookie(PASS_COOKIE, pass_value(target_id, user_id), path="/screening/", httponly=True,
                        samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    return response


def _pass_target(request, *, for_submission: bool = False) -> CampaignTarget | None:
    found = _read_pass(request)
    if found is None:
        return None
    target_id, owner = found
    if owner is not None and owner != request.user.pk:
        return None  # an account's pass does not outlive that account's sign-in
    target = services.target_for_pass(target_id, for_submission=for_submission)
    if target is not None:
        target.pass_owner = owner
    return target


def with_pass(view=None, *, for_submission: bool = False):
    """Public page that needs the pass; without one it shows the code form (403), losing nothing.
    Each answer refreshes the pass, so it lapses only after PASS_IDLE_SECONDS without a page.
    `for_submission`: the view only hands in, so the target is read with only what that needs."""
    if view is None:
        return lambda view: with_pass(view, for_submission=for_submission)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        target = _pass_target(request, for_submission=for_submission)
        if target is None:
            return _code_page(request, status=403,
                              notice=_("Please enter your code to continue. Answers you gave are saved."))
        response = view(request, target, *args, **kwargs)
        if PASS_COOKIE not in response.cookies:  # `leave` deletes it
            _set_pass(response, target.pk, target.pass_owner)
        return response

    return public(wrapper)


def render(request, template: str, context: dict, status: int = 200):
    """Every page here shows the same help lines: help.hotlines() (settings.HELP_HOTLINES), never numbers
    written into a template."""
    return django_render(request, template, {"hotlines": help.hotlines(), "emergency": help.emergency_numbers()}
                         | context, status=status)


# --- signing in with a code ----------------------------------------------------------------------------


def _failures_key(request) -> str:
    return f"screening:code-failures:{client_ip(request)}"


def _code_page(request, *, code: str = "", error: str = "", notice: str = "", status: int = 200):
    return render(request, "screening/take/code.html", {"code": code, "error": error, "notice": notice}, status=status)


@public
def code_entry(request):
    if request.method != "POST":
        return _code_page(request)
    code = request.POST.get("code", "")
    failures = cache.get(_failures_key(request), 0)
    if failures >= CODE_FAILURES_ALLOWED:
        return _code_page(request, code=code, status=429, error=_(
            "Too many wrong codes were tried from this network. Please wait ten minutes or ask your teacher."))
    try:
        target = services.code_redeem(code)
    except services.ScreeningError as exc:
        cache.set(_failures_key(request), failures + 1, CODE_FAILURE_WINDOW)
        return _code_page(request, code=code, error=exc.message, status=400)
    return _set_pass(redirect("screening:take"), target.pk)


@public
def code_landing(request, code: str):
    """Where a printed QR code points: the code filled in, one tap to start (a GET changes nothing)."""
    return _code_page(request, code=services.normalise_code(code)[: services.CODE_LENGTH])


@requires(roles.SCREENING_TAKE)
def mine(request):
    """A student with an account: their open screenings."""
    targets = list(selectors.student_open_targets(request.user))
    for target in targets:  # the neutral titles a student sees, never the instruments' clinical names
        target.part_titles = [respondent_title(s.definition, s.position) for s in services.steps_for(target)]
    # >>> individual reports
    # The feedback the psychology teacher shared with the student (individual_report.report_share).
    reports = individual_report.shared_with(request.user, ReportShare.Audience.STUDENT)
    # <<< individual reports
    return render(request, "screening/take/mine.html", {"targets": targets, "reports": reports})


@requires(roles.SCREENING_TAKE)
@require_POST
def mine_start(request, target_id: int):
    target = selectors.student_target_or_404(request.user, target_id)
    return _set_pass(redirect("screening:take"), target.pk, request.user.pk)


@requires(roles.PARENT_HOME)
@require_POST
def parent_start(request, target_id: int):
    """A parent fills in a questionnaire that parents answer (e.g. the PSC-17 parent form) about their own
    child: the pass for the child's target, owned by the parent's account, then the same questionnaire pages.
    Only the child's guardian (the scoping layer's reach of the parent's home) gets it; 404 otherwise. The
    submission is recorded via "account" with the parent as its user."""
    target = selectors.parent_target_or_404(request.user, target_id)
    return _set_pass(redirect("screening:take"), target.pk, request.user.pk)


@with_pass
@require_POST
def leave(request, target):
    """Step away from the questionnaire on a shared computer: forget the pass (answers stay saved)."""
    response = render(request, "screening/take/left.html", {"target_id": target.pk})
    response.delete_cookie(PASS_COOKIE, path="/screening/", samesite="Lax")
    return response


# --- the questionnaire ---------------------------------------------------------------------------------


def _drafts(target) -> dict[int, dict]:
    return {version: draft.answers for version, draft in services.drafts_of(target).items()}


def _next_url(target, steps, drafts) -> str:
    """Where a student who comes back should land: the first unanswered question (or the review)."""
    gate = services.gate_for(target)
    if target.finished_at:
        return reverse("screening:take_done")
    if not gate.may_answer:
        return reverse("screening:take_consent")
    for step in steps:
        answers = drafts.get(step.version_id)
        if answers is None:
            return reverse("screening:take_intro", args=[step.position])
        where = flow.position(step.definition, answers)
        if where.item is not None:
            return _item_url(step, where.item.id)
    return reverse("screening:take_review")


def _item_url(step, item_id: str) -> str:
    return reverse("screening:take_item", args=[step.position, item_id])


@with_pass
def take(request, target):
    return redirect(_next_url(target, services.steps_for(target), _drafts(target)))


def _step_or_404(target, position: int):
    steps = services.steps_for(target)
    if not 1 <= position <= len(steps):
        raise Http404("No such part")
    return steps, steps[position - 1]


def _closed(request, target):
    """Answering is over for this target (handed in, window closed, refused …): send them where they belong."""
    if target.finished_at:
        return redirect("screening:take_done")
    if not services.gate_for(target).may_answer:
        return redirect("screening:take_consent")
    if not target.campaign.is_open_on(timezone.localdate()):
        return _code_page(request, error=_("This screening has closed. Thank you."), status=410)
    return None


@with_pass
def take_intro(request, target, position: int):
    closed = _closed(request, target)
    if closed:
        return closed
    steps, step = _step_or_404(target, position)
    answers = _drafts(target).get(step.version_id, {})
    where = flow.position(step.definition, answers)
    first = where.item or (step.definition.items[0] if step.definition.items else None)
    return render(request, "screening/take/intro.html", {
        "target": target, "step": step, "steps": steps, "title": respondent_title(step.definition, step.position),
        "instructions": text_in(step.definition.instructions, lang()) if step.definition.instructions else "",
        "start_url": _item_url(step, first.id) if first else reverse("screening:take_review"),
        "page_url": reverse("screening:take_page", args=[step.position]), "asked": where.asked,
    })


def _option_rows(item, chosen: str | None) -> list[dict]:
    return [{"value": o.value, "label": text_in(o.label, lang()), "checked": o.value == chosen} for o in item.options]


def _after(step, steps, answers, item_id: str) -> str:
    """The next question after this one, else the next instrument's introduction, else the review."""
    _before, following = flow.neighbours(step.definition, answers, item_id)
    if following is not None:
        return _item_url(step, following.id)
    if step.position < len(steps):
        return reverse("screening:take_intro", args=[step.position + 1])
    return reverse("screening:take_review")


@with_pass
def take_item(request, target, position: int, item_id: str):
    closed = _closed(request, target)
    if closed:
        return closed
    steps, step = _step_or_404(target, position)
    drafts = _drafts(target)
    answers = dict(drafts.get(step.version_id, {}))
    asked = flow.asked_items(step.definition, answers)
    if item_id not in {i.id for i in asked}:
        return redirect(_next_url(target, steps, drafts))
    item = step.definition.item(item_id)
    error = ""
    if request.method == "POST":
        if request.POST.get("skip"):
            return redirect(_after(step, steps, answers, item_id))
        value = request.POST.get("answer", "").strip()
        if not value:
            error = _("Choose an answer, or skip this question.")
        else:
            try:
                services.answer_save(target=target, step=step, answers={item_id: value})
            except services.ScreeningError as exc:
                error = exc.message
            else:
                answers[item_id] = value
                return redirect(_after(step, steps, answers, item_id))
    before, _following = flow.neighbours(step.definition, answers, item_id)
    ids = [i.id for i in asked]
    context = {
        "target": target, "step": step, "steps": steps, "item": item, "item_text": text_in(item.text, lang()),
        "title": respondent_title(step.definition, step.position),
        "instructions": text_in(step.definition.instructions, lang()) if step.definition.instructions else "",
        "options": _option_rows(item, answers.get(item_id)), "current": answers.get(item_id, ""),
        "number": ids.index(item_id) + 1, "count": len(ids),
        "back_url": _item_url(step, before.id) if before else reverse("screening:take_intro", args=[step.position]),
        "page_url": reverse("screening:take_page", args=[step.position]), "error": error,
    }
    return render(request, "screening/take/item.html", context, status=400 if error else 200)


@with_pass
def take_page(request, target, position: int):
    """A page at a time: every question of one instrument in one form (also the no-JavaScript fallback)."""
    closed = _closed(request, target)
    if closed:
        return closed
    steps, step = _step_or_404(target, position)
    answers = dict(_drafts(target).get(step.version_id, {}))
    error = notice = ""
    if request.method == "POST":
        shown = request.POST.getlist("shown")
        given = {item_id: request.POST.get(f"item-{item_id}", "").strip() for item_id in shown}
        try:
            services.answer_save(target=target, step=step, answers=given)
        except services.ScreeningError as exc:
            error = exc.message
        else:
            answers = {k: v for k, v in answers.items() if k not in given} | {k: v for k, v in given.items() if v}
            newly_asked = [i for i in flow.asked_items(step.definition, answers) if i.id not in shown]
            if not newly_asked:
                if step.position < len(steps):
                    return redirect("screening:take_page", step.position + 1)
                return redirect("screening:take_review")
            notice = _("Your answers brought up one more question on this page.")
    items = [
        {"item": item, "text": text_in(item.text, lang()), "options": _option_rows(item, answers.get(item.id)),
         "current": answers.get(item.id, "")}
        for item in flow.asked_items(step.definition, answers)
    ]
    return render(request, "screening/take/page.html", {
        "target": target, "step": step, "steps": steps, "items": items, "error": error, "notice": notice,
        "title": respondent_title(step.definition, step.position),
        "instructions": text_in(step.definition.instructions, lang()) if step.definition.instructions else "",
        "item_url": reverse("screening:take_intro", args=[step.position]),
    }, status=400 if error else 200)


def _review(request, target, *, error: str = "", problems=(), status: int = 200):
    steps = services.steps_for(target)
    drafts = _drafts(target)
    parts = []
    for step in steps:
        answers = drafts.get(step.version_id, {})
        asked = flow.asked_items(step.definition, answers)
        open_items = [{"label": i.label, "text": text_in(i.text, lang()), "url": _item_url(step, i.id)}
                      for i in asked if i.id not in answers]
        parts.append({"step": step, "title": respondent_title(step.definition, step.position), "asked": len(asked),
                      "answered": len(asked) - len(open_items), "open": open_items})
    return render(request, "screening/take/review.html", {
        "target": target, "parts": parts, "client_id": uuid.uuid4(), "error": error, "problems": list(problems),
    }, status=status)


@with_pass
def take_review(request, target):
    closed = _closed(request, target)
    if closed:
        return closed
    return _review(request, target)


def _submit_payload(request) -> tuple[str, dict | None, dict | None]:
    if request.content_type == "application/json":
        try:
            body = orjson.loads(request.body or b"{}")
        except ValueError:  # bad JSON or encoding, NaN or a number out of range, nesting deeper than 1,024
            raise services.ScreeningError(_("The submission is not valid JSON.")) from None
        if not isinstance(body, dict):
            raise services.ScreeningError(_("The submission is not valid JSON."))
        return str(body.get("client_id", "")), body.get("answers"), body.get("elapsed")
    answers = None
    if request.POST.get("answers"):
        try:
            answers = json.loads(request.POST["answers"])
        except (ValueError, RecursionError):
            answers = None  # the device's copy is only a safety net; the saved drafts still count
    return request.POST.get("client_id", ""), answers, None


@with_pass(for_submission=True)
@require_POST
def take_submit(request, target):
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        client_id, answers, elapsed = _submit_payload(request)
        accepted = services.submission_accept(
            target=target, client_id=client_id, answers=answers, elapsed=elapsed,
            via="account" if target.pass_owner else "code",
            user=request.user if request.user.is_authenticated else None, remote_addr=client_ip(request))
    except services.ScreeningError as exc:
        if wants_json:
            return _json({"ok": False, "error": exc.message, "problems": exc.problems}, status=400)
        return _review(request, target, error=exc.message, problems=exc.problems, status=400)
    done = _done_url()
    if wants_json:
        return _json({"ok": True, "created": accepted.created, "next": done}, status=201 if accepted.created else 200)
    return redirect(done)


@lru_cache(maxsize=1)
def _done_url() -> str:
    return reverse("screening:take_done")


def _json(data: dict, *, status: int) -> JsonResponse:
    """A JSON answer to take.js. Content-Security-Policy governs documents, not JSON read by a script, so the
    policy (built anew for every response) is left off: a whole school hands in at once."""
    response = JsonResponse(data, status=status)
    response._csp_exempt = True  # django-csp's own marker (what its @csp_exempt() sets)
    response._csp_exempt_ro = True
    return response


@with_pass
def take_done(request, target):
    if not target.finished_at:
        return redirect("screening:take")
    critical = Submission.objects.filter(target=target).values_list("critical", flat=True).first()
    return render(request, "screening/take/done.html", {
        "target": target, "critical": critical, "hotlines": help.hotlines(),
    })


@with_pass
def take_consent(request, target):
    """The consent gate: the student's own yes or no, or why they have to wait."""
    if target.finished_at:
        return redirect("screening:take_done")
    error = ""
    if request.method == "POST":
        try:
            services.student_decide(target=target, decision=request.POST.get("decision", ""))
        except services.ScreeningError as exc:
            error = exc.message
        else:
            return redirect("screening:take")
    gate = services.gate_for(target)
    if gate.may_answer and request.method != "POST":
        return redirect("screening:take")
    return render(request, "screening/take/consent.html", {
        "target": target, "gate": gate, "error": error, "campaign": target.campaign,
    }, status=400 if error else 200)


# --- the guardian's link -------------------------------------------------------------------------------


@public
def guardian_consent(request, token: str):
    """The guardian's link. A GET only shows the notice and the choices: a chat app's link preview opens it
    too, so only a button (a POST) records that the notice was read, or the guardian's answer."""
    try:
        record = services.consent_record(token=token)
    except services.ScreeningError:
        raise Http404("No such consent link") from None
    error = ""
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        try:
            if decision == "read":
                record = services.consent_acknowledge(token=token)
            else:
                record = services.consent_decide(token=token, decision=decision,
                                                 guardian_name=request.POST.get("guardian_name", ""))
        except services.ScreeningError as exc:
            error = exc.message
    versions = [ci.version for ci in record.target.campaign.instruments.select_related("version__instrument")]
    response = render(request, "screening/guardian_consent.html", {
        "record": record, "target": record.target, "campaign": record.target.campaign, "error": error,
        "titles": [respondent_title(services.definition_of(v), n) for n, v in enumerate(versions, 1)],
        "hotlines": help.hotlines(),
        "decided": record.state in {ConsentRecord.State.CONSENTED, ConsentRecord.State.DECLINED},
        "read": record.state != ConsentRecord.State.PENDING,
    }, status=400 if error else 200)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
