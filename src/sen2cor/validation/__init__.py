"""Validation of the processor against truth and official products: product runs, metrics and report tables
that the thin command lines in ``scripts/validate_*.py`` call (every number in ``docs/*_validation.md`` has
the command that reproduces it)."""
