"""Sign-in by username and password (Django's ModelBackend), refusing the account of a student who is no longer
enrolled: a student who left (graduation, transfer out of the region, leaving school) loses access the same
day, before the sweep (accounts/students.py) has closed the account. Checked at sign-in only (one query);
sessions already open are ended by accounts.middleware.StudentLeftMiddleware."""

from django.contrib.auth.backends import ModelBackend

from . import students


class AccountBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and students.has_left(user):
            return None
        return user
