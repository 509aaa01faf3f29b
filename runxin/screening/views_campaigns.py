"""Staff pages for campaigns (测评任务): list, create, open and close, live completion per class, code
sheets, guardian consent links and reminders. Thin: selectors read, services write."""

from types import SimpleNamespace

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from runxin.access import roles
from runxin.access.decorators import requires
from runxin.org import grades

from . import pdf, selectors, services
from .forms import CampaignForm, ConsentEntryForm
from .i18n import lang
from .models import Campaign, CampaignTarget


class BadFilter(ValueError):
    pass


def _school_filter(request) -> int | None:
    """The ?school= filter: absent or blank is none; anything but an id in range is a 400, never a 500."""
    raw = request.GET.get("school", "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and 0 < int(raw) < 2**63):
        raise BadFilter(raw)
    return int(raw)


def _in_grade_order(completion):
    """Classes in reading order, 七 → 八 → 九 (never the string order 七 九 八), within each school: a class
    whose grade is not stored (a targeted campaign may reach one) is read from its name (org.grades)."""
    if completion.level == "class":
        completion.rows.sort(key=lambda row: (row.school, grades.sort_key(SimpleNamespace(kind="class", name=row.name))))
    return completion


@requires(roles.SCREENING_PROGRESS)
def campaign_list(request):
    status = request.GET.get("status", "")
    status = status if status in Campaign.Status.values else ""
    return render(request, "screening/campaign_list.html", {
        "rows": selectors.campaign_list(request.user, status=status), "status": status,
        "statuses": Campaign.Status.choices,
        "can_create": selectors.can_create(request.user),
    })


@requires(roles.SCREENING_MANAGE)
def campaign_new(request):
    return _campaign_form(request, None)


@requires(roles.SCREENING_MANAGE)
def campaign_edit(request, campaign_id: int):
    campaign = selectors.campaign_or_404(request.user, campaign_id, roles.SCREENING_MANAGE)
    if not selectors.can_manage(request.user, campaign):
        raise Http404("Not a campaign you run")
    if campaign.status != Campaign.Status.DRAFT:
        messages.warning(request, _("Only a draft campaign can be changed."))
        return redirect("screening:campaign_detail", campaign.pk)
    return _campaign_form(request, campaign)


def _campaign_form(request, campaign: Campaign | None):
    form = CampaignForm(request.POST or None, user=request.user, initial=CampaignForm.initial_for(campaign))
    # Grade choices by name in grade order (七年级, 八年级, 九年级 …), the value stays the level.
    form.fields["grades"].choices = [(level, grades.grade_name(level)) for level in range(1, 13)]
    if request.method == "POST" and form.is_valid():
        try:
            if campaign is None:
                campaign = services.campaign_create(user=request.user, spec=form.spec())
                messages.success(request, _("The campaign is saved as a draft. Open it when it is ready."))
            else:
                services.campaign_update(user=request.user, campaign=campaign, spec=form.spec())
                messages.success(request, _("The campaign is saved."))
        except services.ScreeningError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("screening:campaign_detail", campaign.pk)
    return render(request, "screening/campaign_form.html", {"form": form, "campaign": campaign},
                  status=400 if form.errors else 200)


@requires(roles.SCREENING_PROGRESS)
def campaign_detail(request, campaign_id: int):
    campaign = selectors.campaign_or_404(request.user, campaign_id)
    try:
        school_id = _school_filter(request)
    except BadFilter:
        return HttpResponseBadRequest(_("Choose a school from the list."))
    context = {
        "campaign": campaign, "manage": selectors.can_manage(request.user, campaign),
        "completion": _in_grade_order(selectors.completion(request.user, campaign, school_id=school_id)),
        "school_id": school_id, "target_grades": [grades.grade_name(g) for g in sorted(campaign.target_grades)],
        "instruments": [SimpleNamespace(title=ci.version.title_in(lang()), code=ci.version.instrument.code,
                                        version=ci.version.version)
                        for ci in campaign.instruments.select_related("version__instrument")],
        "rounds": campaign.rounds.order_by("-round_number") if campaign.is_series else [],
        "results": selectors.sees_results(request.user),
        "events": campaign.events.select_related("actor")[:10],
    }
    return render(request, "screening/campaign_detail.html", context)


@requires(roles.SCREENING_PROGRESS)
def campaign_progress(request, campaign_id: int):
    """The completion table alone, polled by htmx every 10 seconds while the page is open."""
    campaign = selectors.campaign_or_404(request.user, campaign_id)
    try:
        school_id = _school_filter(request)
    except BadFilter:
        return HttpResponseBadRequest(_("Choose a school from the list."))
    return render(request, "screening/_progress.html", {
        "campaign": campaign,
        "completion": _in_grade_order(selectors.completion(request.user, campaign, school_id=school_id)),
        "school_id": school_id,
    })


@requires(roles.SCREENING_MANAGE)
@require_POST
def campaign_open(request, campaign_id: int):
    campaign = selectors.campaign_or_404(request.user, campaign_id, roles.SCREENING_MANAGE)
    try:
        services.campaign_open(user=request.user, campaign=campaign)
    except services.ScreeningError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The campaign is open. Print the code sheets for each class."))
    return redirect("screening:campaign_detail", campaign.pk)


@requires(roles.SCREENING_MANAGE)
@require_POST
def campaign_close(request, campaign_id: int):
    campaign = selectors.campaign_or_404(request.user, campaign_id, roles.SCREENING_MANAGE)
    try:
        services.campaign_close(user=request.user, campaign=campaign)
    except services.ScreeningError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The campaign is closed. Codes no longer work; results are kept."))
    return redirect("screening:campaign_detail", campaign.pk)


@requires(roles.SCREENING_PROGRESS)
def class_progress(request, campaign_id: int, class_id: int):
    """Who in a class has finished: names and status only (what a head teacher sees)."""
    campaign = selectors.campaign_or_404(request.user, campaign_id)
    school_class = selectors.class_or_404(request.user, campaign, class_id)
    rows = selectors.class_progress(request.user, campaign, school_class)
    return render(request, "screening/class_progress.html", {
        "campaign": campaign, "school_class": school_class, "rows": rows,
        "manage": selectors.can_manage_class(request.user, campaign, school_class),
        "reminders": campaign.reminders.filter(school_class=school_class).select_related("sent_by")[:5],
    })


@requires(roles.SCREENING_MANAGE)
def class_codes_pdf(request, campaign_id: int, class_id: int):
    """A printable sheet of one-time codes with QR codes, one slip per student, to cut and hand out."""
    campaign = selectors.campaign_or_404(request.user, campaign_id, roles.SCREENING_MANAGE)
    school_class = selectors.class_or_404(request.user, campaign, class_id, roles.SCREENING_MANAGE)
    try:
        targets = services.codes_for_class(user=request.user, campaign=campaign, school_class=school_class)
    except services.ScreeningError as exc:
        messages.error(request, exc.message)
        return redirect("screening:class_progress", campaign.pk, school_class.pk)
    if not targets:
        messages.error(request, _("You cannot see the students of this class, so you cannot print their codes. "
                                  "The school's psychology teacher prints them."))
        return redirect("screening:class_progress", campaign.pk, school_class.pk)
    body = pdf.code_sheet(campaign=campaign, school_class=school_class,
                          targets=[t for t in targets if not t.finished_at])
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="codes-{campaign.pk}-{school_class.pk}.pdf"'
    return response


@requires(roles.SCREENING_MANAGE)
def class_consent(request, campaign_id: int, class_id: int):
    """The guardians' consent links of one class, their answers, and paper or phone answers entered by staff."""
    campaign = selectors.campaign_or_404(request.user, campaign_id, roles.SCREENING_MANAGE)
    school_class = selectors.class_or_404(request.user, campaign, class_id, roles.SCREENING_MANAGE)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "notified":
                count = services.consent_mark_notified(user=request.user, campaign=campaign, school_class=school_class)
                messages.success(request, _("%(count)s guardians marked as notified.") % {"count": count})
            else:
                form = ConsentEntryForm(request.POST)
                if not form.is_valid():
                    raise services.ScreeningError(_("Choose the answer and how it was given."))
                target = CampaignTarget.objects.filter(pk=form.cleaned_data["target"], campaign=campaign,
                                                       school_class=school_class).first()
                if target is None or target.pk not in {t.pk for t in services.consent_links_for_class(
                        user=request.user, campaign=campaign, school_class=school_class)}:
                    raise Http404("No such student in this class")
                services.consent_decide(target=target, decision=form.cleaned_data["decision"],
                                        channel=form.cleaned_data["channel"],
                                        guardian_name=form.cleaned_data["guardian_name"], user=request.user)
                messages.success(request, _("The guardian's answer is recorded."))
        except services.ScreeningError as exc:
            messages.error(request, exc.message)
        return redirect("screening:class_consent", campaign.pk, school_class.pk)
    try:
        targets = services.consent_links_for_class(user=request.user, campaign=campaign, school_class=school_class)
    except services.ScreeningError as exc:
        messages.error(request, exc.message)
        return redirect("screening:class_progress", campaign.pk, school_class.pk)
    return render(request, "screening/class_consent.html", {
        "campaign": campaign, "school_class": school_class, "targets": targets,
        "site_url": request.build_absolute_uri("/").rstrip("/"), "form": ConsentEntryForm(),
    })


@requires(roles.SCREENING_MANAGE)
@require_POST
def class_remind(request, campaign_id: int, class_id: int):
    campaign = selectors.campaign_or_404(request.user, campaign_id, roles.SCREENING_MANAGE)
    school_class = selectors.class_or_404(request.user, campaign, class_id, roles.SCREENING_MANAGE)
    try:
        reminder = services.reminder_send(user=request.user, campaign=campaign, school_class=school_class)
    except services.ScreeningError as exc:
        messages.error(request, exc.message)
    else:
        if reminder.notified:
            messages.success(request, _("The head teacher was reminded (%(count)s students have not finished).")
                             % {"count": reminder.unfinished})
        else:
            messages.warning(request, _("The reminder is recorded, but this class has no head teacher on the "
                                        "platform to notify."))
    return redirect("screening:class_progress", campaign.pk, school_class.pk)
