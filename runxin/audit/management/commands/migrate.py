"""`runxin migrate`: Django's migrate, run as the owner role when MIGRATE_DATABASE_URL is set.

The app role (DATABASE_URL) owns nothing, so it could not create or alter a table anyway. After migrating,
the app role's privileges are re-applied, so a table a migration adds to the audit set is INSERT/SELECT only
from the start. Without MIGRATE_DATABASE_URL (a developer's machine, the tests, the demo) nothing changes."""

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from runxin.ops import db_roles
from runxin.ops.db import use_owner_role


class Command(MigrateCommand):
    help = MigrateCommand.help + " As the owner role when MIGRATE_DATABASE_URL is set."

    def handle(self, *args, **options):
        alias = options["database"]
        app_role = connections[alias].settings_dict.get("USER")
        switched = alias == DEFAULT_DB_ALIAS and use_owner_role(alias)
        result = super().handle(*args, **options)
        connection = connections[alias]
        owner_role = connection.settings_dict.get("USER")
        if switched and connection.vendor == "postgresql" and app_role and app_role != owner_role:
            with transaction.atomic(using=alias), connection.cursor() as cursor:
                db_roles.grant_app(cursor, app=app_role, owner=owner_role, database=False)
            if options["verbosity"] >= 1:
                self.stdout.write(f"Privileges of {app_role} re-applied (owner: {owner_role}).")
        return result
