"""Radiative-transfer look-up tables (manual Table 2-2, algorithm facts B.2-B.4): every table source, the
parameter grid, reading, spectral integration and multilinear interpolation.

``grid`` (Sen2Cor's LUT axes) -> ``sixs`` / ``spectral_tables`` (6S runs and their spectral cache) ->
``srf`` + ``band_integration`` (band tables for a product's spectral responses) and ``atm_reader``
(Sen2Cor's own ``.atm`` tables) -> ``lut`` (:class:`~sen2cor.rtm.lut.LutTable`, interpolation) and
``lut_field`` (a table over an image) -> ``selection`` (which table a product uses). The correction
steps that use them are in :mod:`sen2cor.atmcorr`.
"""
