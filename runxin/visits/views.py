"""Pages of the visits app."""
