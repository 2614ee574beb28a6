"""Atmospheric correction: radiative-transfer look-up tables (``lut``, ``atm_reader``) and,
later, the correction steps (manual §2.2.3)."""
