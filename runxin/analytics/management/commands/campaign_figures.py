"""`runxin campaign_figures`: recompute the screening reports' figures — one campaign (`--campaign ID`), every
campaign with a report (`--all`, after an upgrade or a change of rules), or one pass of the refresh (the default,
what the scheduler does every 3 minutes)."""

from django.core.management.base import BaseCommand, CommandError

from runxin.analytics import campaign_figures


class Command(BaseCommand):
    help = "Recompute the figures of screening campaigns for their screening reports."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--campaign", type=int, help="the id of one campaign to recompute in full")
        which.add_argument("--all", action="store_true", help="every campaign that has a report")

    def handle(self, *args, **options):
        if options["campaign"] is None and not options["all"]:
            result = campaign_figures.refresh_campaign_figures()
            self.stdout.write(f"Recomputed {len(result['computed'])} campaigns"
                              + (f"; failed: {result['failed']}" if result["failed"] else "") + ".")
            if result["failed"]:
                raise CommandError(f"campaigns failed: {result['failed']}")
            return
        campaigns = campaign_figures.reportable_campaigns()
        if options["campaign"] is not None:
            campaigns = campaigns.filter(pk=options["campaign"])
            if not campaigns.exists():
                raise CommandError(f"no campaign {options['campaign']} with a report (a draft or a monitoring "
                                   "series has none)")
        for campaign in campaigns.order_by("window_start", "pk"):
            stored = campaign_figures.compute_campaign_figures(campaign)
            self.stdout.write(f"{campaign.pk} {campaign.name}: {stored.figures:,} figures ({stored.hidden:,} hidden), "
                              f"{stored.seconds:.1f} s")
