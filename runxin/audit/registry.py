"""What is tracked and how each tracked model is shown to the auditor. See the package docstring."""

from collections.abc import Iterable
from dataclasses import dataclass

ALL = "__all__"

CREATE, UPDATE, DELETE, ACCESS = 0, 1, 2, 3
_ACTIONS = {"create": CREATE, "update": UPDATE, "delete": DELETE}


@dataclass(frozen=True)
class Spec:
    """How the audit pages show one tracked model."""

    student_field: str | None
    withheld: frozenset[str]
    withhold_all: bool

    @property
    def is_student_data(self) -> bool:
        return self.student_field is not None or self.withhold_all or bool(self.withheld)

    def withholds(self, field: str) -> bool:
        return self.withhold_all or field in self.withheld


_PLAIN = Spec(student_field=None, withheld=frozenset(), withhold_all=False)
_SPECS: dict[str, Spec] = {}


def register(model, *, student_field: str | None = None, withheld_fields: Iterable[str] | str = (),
             exclude_fields: Iterable[str] = (), include_fields: Iterable[str] | None = None) -> None:
    """Track every create, update and delete of `model` with field-level changes (see the package docstring)."""
    from auditlog.registry import auditlog

    excluded = list(exclude_fields)
    if student_field and student_field != "id" and student_field in excluded:
        raise ValueError(f"{model.__name__}.{student_field} links changes to a student and cannot be excluded")
    auditlog.register(
        model,
        include_fields=list(include_fields) if include_fields is not None else None,
        exclude_fields=excluded,
        # The serialised row links a change to its student; only tracked fields are serialised, so an
        # excluded secret (a password hash) never reaches the audit table.
        serialize_data=True,
        serialize_auditlog_fields_only=True,
    )
    withhold_all = withheld_fields == ALL
    _SPECS[model._meta.label_lower] = Spec(
        student_field=student_field,
        withheld=frozenset() if withhold_all else frozenset(withheld_fields),
        withhold_all=withhold_all,
    )


def spec_for(label_lower: str) -> Spec:
    """The display rules for a model label such as "people.student"; plain for unregistered models."""
    return _SPECS.get(label_lower, _PLAIN)


def student_linked_labels() -> dict[str, str]:
    """Model label → name of its student foreign key, for the models that link to a student (not Student)."""
    return {label: spec.student_field for label, spec in _SPECS.items()
            if spec.student_field and spec.student_field != "id"}


def record_event(instance, *, action: str, changes: dict, actor=None, remote_addr: str | None = None,
                 additional_data: dict | None = None):
    """Append one change event that no model save produced (an unlock, a bulk import batch …).

    `changes` maps a field (or a plain name such as "second_factor") to [before, after]. The acting user and
    address are taken from the request when this runs inside one; pass them when it does not.
    """
    from auditlog.models import LogEntry

    if action not in _ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    fields = {"actor": actor} if actor is not None else {}
    if remote_addr:
        fields["remote_addr"] = remote_addr
    if additional_data is not None:
        fields["additional_data"] = additional_data
    clean = {str(k): [None if v is None else str(v) for v in pair] for k, pair in changes.items()}
    return LogEntry.objects.log_create(instance, action=_ACTIONS[action], changes=clean, force_log=True, **fields)
