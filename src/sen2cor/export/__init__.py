"""Outputs for today's tools beside Sen2Cor's own: the quicklook PNG (:mod:`sen2cor.export.quicklook`) and
the STAC item (:mod:`sen2cor.export.stac`, made by stactools-sentinel2 in a child process)."""
