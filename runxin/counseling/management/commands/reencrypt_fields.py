"""`runxin reencrypt-fields`: after a new Fernet key is put first in RUNXIN_FIELD_KEYS, rewrite every encrypted
column of every installed model under that key (MultiFernet.rotate), so the old key can then be dropped.

    RUNXIN_FIELD_KEYS=<new>,<old> runxin reencrypt-fields [--dry-run] [--batch-size 500]

What it does, model by model (every model with an encrypted_model_fields field, whatever app owns it):
  * reads the stored tokens themselves (not the decrypted values: the library hands back the ciphertext when no
    key opens it, and re-saving that would encrypt a token twice);
  * leaves a token already under the first key as it is, so a run that stopped half-way is simply run again;
  * rotates every other token (decrypt with any configured key; the field encrypts with the first as the row's
    encrypted columns, and only those, are written with queryset.update), one transaction per batch, without
    signals (the change audit does not track these columns, and nothing but the ciphertext changes);
  * refuses to write anything of a row whose token no configured key opens, and exits non-zero naming the
    model, row and field, so a missing old key is noticed before it is dropped.

The crypter is built from the settings when the command runs (encrypted_model_fields builds its module-level one
at import, which in a fresh process is the same)."""

import cryptography.fernet
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from encrypted_model_fields import fields as fields_module
from encrypted_model_fields.fields import EncryptedMixin, get_crypter, parse_key


def encrypted_models() -> list[tuple[type, list]]:
    """(model, its encrypted concrete fields) for every installed model that has any, in a stable order."""
    found = []
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]
        if fields:
            found.append((model, fields))
    return found


def rotate_all(*, batch_size: int = 500, dry_run: bool = False, write=print) -> dict:
    """Rotate every encrypted column to the first configured key. Returns counts; raises CommandError when a token
    cannot be opened with any configured key (nothing of that row is written)."""
    from django.conf import settings

    keys = settings.FIELD_ENCRYPTION_KEY
    keys = list(keys) if isinstance(keys, list | tuple) else [keys]
    crypter = get_crypter()
    # The library encrypts on save with the crypter it built at import; build it again from the settings in
    # effect now (the same in a fresh process; a test or a shell may have changed the keys since).
    fields_module.CRYPTER = crypter
    primary = parse_key(keys[0])
    totals = {"models": 0, "rows": 0, "rotated": 0, "current": 0, "unreadable": 0}
    unreadable: list[str] = []
    quote = connection.ops.quote_name
    for model, fields in encrypted_models():
        totals["models"] += 1
        table, pk = model._meta.db_table, model._meta.pk.column
        columns = ", ".join(quote(f.column) for f in fields)
        last = None
        rotated_here = 0
        while True:
            where = f"WHERE {quote(pk)} > %s " if last is not None else ""
            sql = (f"SELECT {quote(pk)}, {columns} FROM {quote(table)} {where}"  # noqa: S608 (names from the registry)
                   f"ORDER BY {quote(pk)} LIMIT %s")
            with connection.cursor() as cursor:
                cursor.execute(sql, [last, batch_size] if last is not None else [batch_size])
                rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            updates: list[tuple[object, dict]] = []
            for row in rows:
                totals["rows"] += 1
                changes = {}
                broken = False
                for field, token in zip(fields, row[1:], strict=True):
                    if token is None:
                        continue
                    raw = token.encode() if isinstance(token, str) else bytes(token)
                    try:
                        primary.decrypt(raw)
                        totals["current"] += 1
                        continue
                    except cryptography.fernet.InvalidToken:
                        pass
                    try:
                        changes[field.attname] = crypter.decrypt(raw).decode("utf-8")
                    except cryptography.fernet.InvalidToken:
                        broken = True
                        totals["unreadable"] += 1
                        unreadable.append(f"{model._meta.label} id={row[0]} {field.name}")
                if changes and not broken:
                    updates.append((row[0], changes))
            if not dry_run and updates:
                with transaction.atomic():
                    manager = model._base_manager
                    for pk_value, changes in updates:
                        # The field encrypts the plain value under the first key as it is saved (rotate semantics).
                        manager.filter(pk=pk_value).update(**changes)
            count = sum(len(changes) for _pk, changes in updates)
            totals["rotated"] += count
            rotated_here += count
        if rotated_here:
            write(f"{model._meta.label}: {rotated_here} value(s) {'to rotate' if dry_run else 'rotated'}")
    if unreadable:
        shown = "\n  ".join(unreadable[:50])
        raise CommandError(f"{len(unreadable)} value(s) open with none of the configured keys (left as they "
                           f"are; keep the key that wrote them in RUNXIN_FIELD_KEYS):\n  {shown}")
    return totals


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column under the first key of RUNXIN_FIELD_KEYS (key rotation)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--dry-run", action="store_true", help="count what would be rewritten, write nothing")

    def handle(self, *args, batch_size: int, dry_run: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        totals = rotate_all(batch_size=batch_size, dry_run=dry_run, write=self.stdout.write)
        verb = "would rotate" if dry_run else "rotated"
        self.stdout.write(f"{totals['models']} model(s), {totals['rows']} row(s): {verb} {totals['rotated']} "
                          f"value(s); {totals['current']} already under the first key.")
