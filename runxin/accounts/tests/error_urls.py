"""A test-only urlconf: the site's URLs plus views that fail, to see the 400 and 500 pages."""

from django.core.exceptions import SuspiciousOperation
from django.urls import path

from runxin.access.decorators import public
from runxin.urls import handler400, handler403, handler404, handler500  # noqa: F401
from runxin.urls import urlpatterns as site_urlpatterns


@public
def broken(request):
    raise RuntimeError("a bug")


@public
def suspicious(request):
    raise SuspiciousOperation("a tampered request")


urlpatterns = [path("test-broken/", broken), path("test-suspicious/", suspicious), *site_urlpatterns]
