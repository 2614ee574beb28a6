"""Packaged GIPP templates and XSD schemas (installed as ``sen2cor.cfg``; see sen2cor.resources.cfg_dir).

This file makes the folder a regular package, so importlib.resources returns a real directory
for it in a built wheel (a namespace package yields a MultiplexedPath instead).
"""
