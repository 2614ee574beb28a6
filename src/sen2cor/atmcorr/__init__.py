"""Atmospheric correction steps (manual §2.2.3-§2.2.8, algorithm facts B), top-down:

``stage`` (glue to the run: staged tile -> driver -> sink) -> ``driver`` (one resolution) ->
``retrieval`` (AOT by ``aot``/``scaling``, water vapour by ``wvp``) -> ``rtables`` (the tables of one
geometry on the visibility-index grid) -> per-strip surface reflectance (``step2``: ``surface``,
``adjacency``, ``terrain``, ``brdf``, ``cirrus``). The radiative-transfer tables themselves live in
:mod:`sen2cor.rtm`.
"""
