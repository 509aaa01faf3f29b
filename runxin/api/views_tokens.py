"""The token pages: the administrator of an integration account (the security administrator; a school leader
for their school's) marks a new staff account as an integration account, issues tokens (shown once) and
revokes them."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from runxin.access import roles
from runxin.access.decorators import requires
from runxin.accounts import staff

from . import selectors, services
from .forms import AccountFlagForm, TokenIssueForm


def _manager(request) -> None:
    if not staff.manager_grants(request.user):
        raise PermissionDenied("administers no accounts")


def _list(request, flag_form=None, status: int = 200):
    return render(request, "api/tokens.html", {
        "accounts": selectors.integration_accounts(request.user),
        "flag_form": flag_form or AccountFlagForm(),
        "issue_form": TokenIssueForm(),
    }, status=status)


@requires(roles.STAFF_MANAGE)
def token_list(request):
    _manager(request)
    return _list(request)


@requires(roles.STAFF_MANAGE)
@require_POST
def account_flag(request):
    _manager(request)
    form = AccountFlagForm(request.POST)
    if form.is_valid():
        target = selectors.flaggable_account(request.user, form.cleaned_data["username"])
        if target is None:
            form.add_error("username", _("No account with this username that you administer."))
        else:
            try:
                services.account_flag(actor=request.user, target=target, system=form.cleaned_data["system"],
                                      description=form.cleaned_data["description"])
            except services.TokenError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("%(user)s is now an integration account.") % {"user": target})
                return redirect("api:tokens")
    return _list(request, form, status=400)


@requires(roles.STAFF_MANAGE)
@require_POST
def token_issue(request, account_id: int):
    account = selectors.account_or_404(request.user, account_id)
    form = TokenIssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A token is valid for 1 to %(max)s days.") % {"max": services.MAX_TOKEN_DAYS})
        return redirect("api:tokens")
    try:
        token, raw = services.token_issue(actor=request.user, account=account, label=form.cleaned_data["label"],
                                          days=form.cleaned_data["days"])
    except services.TokenError as error:
        messages.error(request, str(error))
        return redirect("api:tokens")
    # Shown in this response only: the database keeps its hash.
    response = render(request, "api/token_created.html", {"token": token, "raw": raw, "account": account})
    response["Cache-Control"] = "no-store"
    return response


@requires(roles.STAFF_MANAGE)
@require_POST
def token_revoke(request, token_id: int):
    token = selectors.token_or_404(request.user, token_id)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("api:tokens")
