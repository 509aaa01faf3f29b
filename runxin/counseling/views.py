"""Pages of the counseling app."""
