"""RunOptions: the L2A_Process command-line options of one run (manual §3.3.1-§3.3.2).

Field names are the option names of Sen2Cor, so the CLI can build it with
``RunOptions(**vars(parser.parse_args(argv)))``. Paths are kept as given (relative paths are
resolved against the current directory by :func:`resolve_paths`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from pathlib import Path

from sen2cor.errors import ConfigError

MODES = ("generate_datastrip", "process_tile")
RESOLUTIONS_M = (10, 20, 60)
CENTRE_PATTERN = re.compile(r"^[A-Z_]{4}$")
BASELINE_PATTERN = re.compile(r"^\d\d\.\d\d$")
_PATH_FIELDS = ("input_dir", "datastrip", "tile", "output_dir", "work_dir", "img_database_dir",
                "res_database_dir", "GIP_L2A", "GIP_L2A_SC", "GIP_L2A_AC", "GIP_L2A_PB")


@dataclass(frozen=True)
class RunOptions:
    """Command-line options; None / False mean "not given"."""

    input_dir: Path | None = None
    mode: str | None = None                 # None = Toolbox; generate_datastrip | process_tile
    resolution: int | None = None           # 10 | 20 | 60 (m); None = 20 then 10 (+60 by downsampling)
    datastrip: Path | None = None
    tile: Path | None = None
    output_dir: Path | None = None
    work_dir: Path | None = None
    img_database_dir: Path | None = None
    res_database_dir: Path | None = None
    processing_centre: str | None = None    # ^[A-Z_]{4}$, e.g. "SGS_"
    archiving_centre: str | None = None
    processing_baseline: str | None = None  # "dd.dd"; overrides L2A_PB_GIPP.xml
    raw: bool = False
    tif: bool = False
    sc_only: bool = False
    sc_classic: bool = False
    sc_cog: bool = False
    cr_only: bool = False
    debug: bool = False
    # extensions (not Sen2Cor options; they change nothing of what Sen2Cor's options mean)
    cog: bool = False                       # every image as a Cloud-Optimized GeoTIFF (.tif)
    stac: bool = False                      # a STAC item JSON next to the product (or PDGS tile)
    no_quicklook: bool = False              # no quicklook PNG in QI_DATA
    GIP_L2A: Path | None = None
    GIP_L2A_SC: Path | None = None
    GIP_L2A_AC: Path | None = None
    GIP_L2A_PB: Path | None = None

    def __post_init__(self) -> None:
        for name in _PATH_FIELDS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))
        if self.mode is not None and self.mode not in MODES:
            raise ConfigError(f"--mode {self.mode!r} is invalid; allowed: {', '.join(MODES)} (or none for Toolbox)")
        if self.resolution is not None:
            try:
                object.__setattr__(self, "resolution", int(self.resolution))
            except (TypeError, ValueError):
                raise ConfigError(f"--resolution {self.resolution!r} is invalid; allowed: 10, 20, 60") from None
            if self.resolution not in RESOLUTIONS_M:
                raise ConfigError(f"--resolution {self.resolution} is invalid; allowed: 10, 20, 60")
        for name in ("processing_centre", "archiving_centre"):
            value = getattr(self, name)
            if value is not None and not CENTRE_PATTERN.match(value):
                raise ConfigError(f"--{name} {value!r} is invalid; allowed: 4 characters A-Z or _ "
                                  f"(regex ^[A-Z_]{{4}}$), e.g. SGS_")
        if self.processing_baseline is not None and not BASELINE_PATTERN.match(str(self.processing_baseline)):
            raise ConfigError(f"--processing_baseline {self.processing_baseline!r} is invalid; allowed: "
                              f"dd.dd with digits d, e.g. 05.11")

    @property
    def geotiff(self) -> bool:
        """Image files are GeoTIFFs (.tif names in the tree and metadata): --tif or --cog."""
        return self.tif or self.cog

    @classmethod
    def from_namespace(cls, namespace: object) -> RunOptions:
        """Build from an argparse Namespace, ignoring attributes that are not options here."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in vars(namespace).items() if k in known})

    def resolve_paths(self, cwd: Path | None = None) -> RunOptions:
        """Copy with every relative path made absolute against ``cwd`` (default: the current directory)."""
        base = Path.cwd() if cwd is None else Path(cwd)
        updates = {name: (base / getattr(self, name)) for name in _PATH_FIELDS
                   if getattr(self, name) is not None and not getattr(self, name).is_absolute()}
        return replace(self, **updates)
