"""Package list for setuptools: the code under src/ plus the root data folders.

cfg/, luts/ and aux_data/ stay at the repository root, where Sen2Cor users expect them;
pyproject.toml maps them to the packages sen2cor.cfg, sen2cor.luts and sen2cor.aux_data so
that a built wheel carries them too (see sen2cor.resources).
"""
from setuptools import find_packages, setup

setup(packages=find_packages("src") + ["sen2cor.cfg", "sen2cor.luts", "sen2cor.aux_data"])
