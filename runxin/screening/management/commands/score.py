"""`runxin score INSTRUMENT ANSWERS.json`: check a definition by scoring answers, print the result as JSON."""

import json

from django.core.management.base import BaseCommand, CommandError

from runxin.screening.core.loader import UnknownInstrument, score_cli
from runxin.screening.core.scoring import AnswerError
from runxin.screening.core.validation import DefinitionError


class Command(BaseCommand):
    help = ("Score an answers file with an instrument (a shipped code such as phqa, or a definition file) and "
            "print totals, subscales, bands, flags, validity and the risk signal as JSON. Exits 1 on invalid input.")
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("instrument", help="shipped instrument code (e.g. phqa, gad7) or path to a definition JSON")
        parser.add_argument("answers", help='path to a JSON file: {"q1": "…", …} or {"answers": {…}, "elapsed_seconds": n}')

    def handle(self, *args, instrument, answers, **options):
        try:
            result = score_cli(instrument, answers)
        except FileNotFoundError as exc:
            raise CommandError(f"{exc.filename}: no such file") from exc
        except (UnknownInstrument, DefinitionError, AnswerError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
