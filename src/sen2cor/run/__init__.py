"""One run of the processor, top-down (manual §2.4, §3.3): ``modes`` (Toolbox and PDGS run modes, the
report file, publishing) -> ``tile`` (L2A_ProcessTile: resolutions, Tables, DEM, scene classification,
atmospheric correction, quality) -> ``outputs`` (the images of a tile). Beside them: ``input_checks``
(the L1C checked before any output), ``output_checks`` (causes of failed writes), ``reruns`` ("Product
already processed.", stale temporaries) and ``logging_setup`` (report file and console).
"""
