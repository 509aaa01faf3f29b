"""Server configuration used only by bench/submit_burst.py: production settings plus a bare endpoint."""
