"""Pure functions behind the figures (no Django): small-count suppression and the disclosure check."""
