"""The analytics app's tables (see facts.py for how they are kept up to date)."""
