"""The one writer of every CSV and xlsx file runxin hands out (see writer.py). No models, no URLs: the apps
that export (alerts, screening, imports, audit) call it from their own views."""
