"""runxin import-staff FILE --school CODE [--dry-run] [--mode valid|all] [--as USERNAME]

Imports staff (姓名, 工号/用户名, 手机, 角色, 任职单位) the way the web page does and prints a JSON report,
with the initial passwords of new accounts. Exit status as for import-roster.
"""

from runxin.imports.models import ImportBatch

from ._importing import ImportCommand


class Command(ImportCommand):
    help = __doc__
    kind = ImportBatch.Kind.STAFF
