"""Pages of the referrals app."""
