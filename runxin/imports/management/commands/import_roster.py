"""runxin import-roster FILE --school CODE [--dry-run] [--mode valid|all] [--as USERNAME]

Imports a student roster the way the web page does and prints a JSON report (rows read, imported,
created, updated, unchanged, rejected with file line, column and reason). Exit status: 0 when every row
was taken, 1 when rows were rejected, 2 on a bad invocation (no such file, school or user; unreadable file).
"""

from ._importing import ImportCommand


class Command(ImportCommand):
    help = __doc__
