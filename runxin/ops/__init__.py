"""Operations on the database itself: the two roles, backups and the restore drill. Plain modules (no models,
no views); their commands live in runxin/audit/management/commands/. See docs/operations.md."""
