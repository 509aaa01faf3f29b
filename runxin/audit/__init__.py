"""The audit trail (审计): who created, changed or deleted which record, when and from where; who read which
sensitive student record; who signed in, failed to, or was locked out; who used emergency access.

Where each kind of event lives (the audit search, `selectors.audit_search`, merges them, newest first):
  * changes     – django-auditlog `LogEntry`, written on every save/delete of a model registered here, with
                  field-level before/after, the acting user and the client address (AuditContextMiddleware);
  * reads       – `access.ReadEvent`, written by `runxin.access.read_audit.record_read`;
  * break-glass – the creation of an `access.BreakGlassGrant` (a change event, shown highlighted) and every
                  read made under one (`ReadEvent.via_break_glass`);
  * sign-ins    – django-axes `AccessLog` (success) and `AccessFailureLog` (failure; `locked_out` marks the
                  attempt that locked the account and every attempt refused while it stays locked).

Registering your model takes one line in your app's `AppConfig.ready()`:

    from runxin import audit
    audit.register(Warning, student_field="student", withheld_fields=["note"])

  student_field    the foreign key to `people.Student` ("id" for Student itself). It links each change to the
                   student's number (学籍号), so the auditor can search by number.
  withheld_fields  values the audit pages never show: personal or clinical data about a student. The row
                   still says that the field changed; the database keeps the values. "__all__" withholds all.
  exclude_fields   fields not tracked at all (password hashes, secrets, timestamps that change on every save).
  include_fields   track only these (for third-party models with noisy bookkeeping columns).

A change made without a model save (a bulk COPY import, an account unlock, a second-factor reset) is written
with `audit.record_event(instance, action="update", changes={"field": [before, after]}, actor=user)`.

Audit rows are append-only. No view, admin or service edits or deletes them, and on PostgreSQL a trigger
(migration 0002) refuses UPDATE and DELETE on `auditlog_logentry` and `access_readevent`. Consequences:
a user who has acted cannot be deleted (deactivate instead), and retention pruning (`auditlogflush`) is a
database administrator's job in a maintenance session that disables the trigger first.
"""

from .registry import record_event, register, spec_for

__all__ = ["record_event", "register", "spec_for"]
