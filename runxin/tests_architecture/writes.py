"""Who writes which app's tables: a static scan of the source (AST), no database.

A write is `<Model>.objects….create/update/delete/…(…)` (also `_default_manager`, also reached through
`.filter(…)` and other queryset steps) on a model class imported from another app's `models`, or raw SQL whose
text says `INSERT INTO`, `UPDATE` or `DELETE FROM` one of another app's tables (the table named literally or as
`{Model._meta.db_table}`). Writes through related managers (`student.enrollments.update(…)`) and `.save()` on
an instance are not seen: review catches those.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the runxin package
WRITES = frozenset({"create", "update", "bulk_create", "bulk_update", "delete", "get_or_create",
                    "update_or_create"})
MANAGERS = frozenset({"objects", "_default_manager"})
_SQL_WRITE = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?([a-z_][a-z0-9_]*)", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Write:
    module: str  # runxin.imports.bulk
    app: str  # the app whose table is written: people
    target: str  # the model (Student) or table (people_enrollment)
    line: int


def _module_app(path: Path) -> tuple[str, str] | None:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    if len(parts) < 3 or parts[1] == "testing" or parts[1].startswith("tests") or {"tests", "migrations"} & set(parts):
        return None  # project-level modules, test helpers (runxin/testing), tests and migrations
    module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    return module, parts[1]


def _root_name(node: ast.AST) -> tuple[str | None, bool]:
    """The name a call chain starts from, and whether the chain passes through a model manager."""
    through_manager = False
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr in MANAGERS and isinstance(node.value, ast.Name):
                return node.value.id, True
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id, through_manager
        else:
            return None, False


def _sql_text(node: ast.AST, models: dict[str, tuple[str, str, str]]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        text = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                text.append(str(value.value))
                continue
            inner = value.value
            # {Model._meta.db_table}
            if (isinstance(inner, ast.Attribute) and inner.attr == "db_table" and isinstance(inner.value, ast.Attribute)
                    and inner.value.attr == "_meta" and isinstance(inner.value.value, ast.Name)
                    and inner.value.value.id in models):
                text.append(models[inner.value.value.id][1])
            else:
                text.append("{}")
        return "".join(text)
    return None


def scan_source(source: str, *, module: str, app: str, models_of: dict[str, dict[str, str]],
                tables: dict[str, str]) -> list[Write]:
    """The writes `module` (of `app`) makes to other apps' tables. `models_of[app]` maps a model class name
    to its table; `tables` maps every table to its app."""
    tree = ast.parse(source)
    imported: dict[str, tuple[str, str, str]] = {}  # local name → (app, table, model), other apps' models only
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            match = re.fullmatch(r"runxin\.(\w+)\.models", node.module)
            if match and match.group(1) != app:
                other = match.group(1)
                for alias in node.names:
                    table = models_of.get(other, {}).get(alias.name)
                    if table:
                        imported[alias.asname or alias.name] = (other, table, alias.name)
    found: set[Write] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
            name, through_manager = _root_name(node.func.value)
            if through_manager and name in imported:
                found.add(Write(module, imported[name][0], imported[name][2], node.lineno))
        text = _sql_text(node, imported) if isinstance(node, ast.Constant | ast.JoinedStr) else None
        if text:
            for table in _SQL_WRITE.findall(text):
                owner = tables.get(table.lower())
                if owner and owner != app:
                    found.add(Write(module, owner, table.lower(), node.lineno))
    return sorted(found)


def registry() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """From Django's app registry: each runxin app's model names → tables, and every table → its app."""
    from django.apps import apps

    models_of: dict[str, dict[str, str]] = {}
    tables: dict[str, str] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("runxin."):
            continue
        app = config.name.split(".")[1]
        for model in config.get_models():
            models_of.setdefault(app, {})[model.__name__] = model._meta.db_table
            tables[model._meta.db_table] = app
            for field in model._meta.local_many_to_many:  # the through tables Django makes
                through = field.remote_field.through
                if through._meta.auto_created:
                    tables[through._meta.db_table] = app
    return models_of, tables


def scan_project() -> list[Write]:
    models_of, tables = registry()
    found: list[Write] = []
    for path in sorted(ROOT.rglob("*.py")):
        where = _module_app(path)
        if where is None:
            continue
        module, app = where
        found += scan_source(path.read_text(encoding="utf-8"), module=module, app=app, models_of=models_of,
                             tables=tables)
    return found
