"""load_config(): the GIPP files of one run -> one frozen L2A_Config.

Precedence, later sources winning (each GIPP file is complete and schema-valid, so a later file
replaces an earlier one as a whole; options then override single values):

1. packaged defaults: ``cfg/`` of the installation (:func:`sen2cor.config.resources.cfg_dir`);
2. ``$SEN2COR_HOME/cfg/L2A_GIPP.xml`` (copied there from 1. on the first run, then the user's);
3. the files named by --GIP_L2A, --GIP_L2A_SC, --GIP_L2A_AC, --GIP_L2A_PB (or the arguments
   ``gip_l2a`` ... of :func:`load_config`, which win over the same options in ``RunOptions``);
4. command-line values: --processing_baseline replaces Baseline_Version of the PB GIPP,
   --debug replaces Log_Level by DEBUG, --resolution 60 switches Downsample_20_to_60 off.

The expert GIPPs (SC, AC, PB) come from 1. unless 3. names them, as in Sen2Cor.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from lxml import etree

from sen2cor.config.calibration import (
    ACL_GIPP_NAMES, AcCalibration, AcFlags, AclPrio1, AclPrio2, AclPrio3, Classificators, CloudThresholds,
    ProcessingBaselineGipp, SceneClassificationConfig, ScReferences, SensorBand,
)
from sen2cor.config.home import USER_GIPP, ensure_user_gipp, find_gipp, resolve_home
from sen2cor.config.options import RunOptions
from sen2cor.config.schema import read_gipp
from sen2cor.config.sections import (
    AtmosphericCorrection, CommonSection, PsdScheme, RegionOfInterest,
)
from sen2cor.bands import BAND_IDS
from sen2cor.errors import ConfigError
from sen2cor.config.resources import cfg_dir

log = logging.getLogger(__name__)

SC_GIPP, AC_GIPP, PB_GIPP = "L2A_CAL_SC_GIPP.xml", "L2A_CAL_AC_GIPP.xml", "L2A_PB_GIPP.xml"


@dataclass(frozen=True)
class GippFiles:
    """The four GIPP files a run used (absolute paths)."""

    l2a: Path
    sc: Path
    ac: Path
    pb: Path


@dataclass(frozen=True)
class L2A_Config:
    """Configuration of one run: GIPP sections, command-line options and the home folder."""

    common: CommonSection
    sc: SceneClassificationConfig
    atmcorr: AtmosphericCorrection
    cal_ac: AcCalibration
    pb: ProcessingBaselineGipp
    run: RunOptions
    home: Path
    files: GippFiles

    @property
    def log_level(self) -> str:
        """Level of the run's log file: DEBUG with --debug, else Log_Level of the GIPP."""
        return "DEBUG" if self.run.debug else self.common.log_level

    @property
    def processing_baseline(self) -> str:
        """"dd.dd": --processing_baseline if given, else Baseline_Version of the PB GIPP (99.99 by default)."""
        return self.run.processing_baseline or self.pb.baseline_version

    @property
    def downsample_20_to_60(self) -> bool:
        """Downsample_20_to_60 of the GIPP, except that --resolution 60 processes 60 m natively."""
        return self.common.downsample_20_to_60 and self.run.resolution != 60

    @property
    def log_dir(self) -> Path:
        """$SEN2COR_HOME/log, where Sen2Cor keeps run logs."""
        return self.home / "log"

    @property
    def dem_path(self) -> Path | None:
        """DEM_Directory resolved against SEN2COR_HOME (absolute paths kept); None for NONE."""
        if self.common.dem_directory is None:
            return None
        return self.home / Path(self.common.dem_directory).expanduser()


def load_config(gip_l2a: Path | str | None = None, gip_sc: Path | str | None = None,
                gip_ac: Path | str | None = None, gip_pb: Path | str | None = None,
                home: Path | str | None = None, options: RunOptions | None = None) -> L2A_Config:
    """Read, validate and combine the GIPPs of one run (precedence in the module docstring).

    Parameters
    ----------
    gip_l2a, gip_sc, gip_ac, gip_pb
        GIPP files; default to ``options.GIP_L2A`` ... and then to the home / packaged files.
        A relative name not found from the current directory is looked up in ``home/cfg``.
    home
        Sen2Cor home; default ``$SEN2COR_HOME``, else ``~/sen2cor/2.12``. Its ``cfg/L2A_GIPP.xml``
        is created from the packaged file on the first run and never overwritten.
    options
        Command-line options of the run (``RunOptions()`` if None).

    Raises
    ------
    ConfigError
        A file is missing, malformed or invalid; the message names file, element, value and
        the allowed values.
    """
    options = options if options is not None else RunOptions()
    home_dir = resolve_home(home)
    user_copy = ensure_user_gipp(home_dir)
    files = GippFiles(
        l2a=_select("GIP_L2A", gip_l2a or options.GIP_L2A, home_dir, user_copy or cfg_dir() / USER_GIPP),
        sc=_select("GIP_L2A_SC", gip_sc or options.GIP_L2A_SC, home_dir, cfg_dir() / SC_GIPP),
        ac=_select("GIP_L2A_AC", gip_ac or options.GIP_L2A_AC, home_dir, cfg_dir() / AC_GIPP),
        pb=_select("GIP_L2A_PB", gip_pb or options.GIP_L2A_PB, home_dir, cfg_dir() / PB_GIPP),
    )
    common, median_filter_px, atmcorr = read_user_gipp(files.l2a)
    thresholds, classificators, references = read_sc_gipp(files.sc, scheme_xsd(files.l2a, "SC_Scheme",
                                                                               common.sc_scheme))
    if common.product_generator is not None:
        log.warning("%s: Common_Section/Product_Generator = %r is not used: the operation mode comes from "
                    "--mode (Toolbox without it); Sen2Cor documents only NONE", files.l2a,
                    common.product_generator)
    config = L2A_Config(
        common=common,
        sc=SceneClassificationConfig(thresholds, classificators, references, median_filter_px),
        atmcorr=atmcorr,
        cal_ac=read_ac_gipp(files.ac, scheme_xsd(files.l2a, "AC_Scheme", common.ac_scheme)),
        pb=read_pb_gipp(files.pb, scheme_xsd(files.l2a, "PB_Scheme", common.pb_scheme)),
        run=options,
        home=home_dir,
        files=files,
    )
    log.info("Configuration: %s; baseline %s; log level %s", files.l2a, config.processing_baseline,
             config.log_level)
    log.debug("GIPP files: %s", files)
    return config


def scheme_xsd(gipp: Path, element: str, scheme: str) -> Path:
    """``cfg/<scheme>.xsd``: the schema a *_Scheme element of L2A_GIPP.xml names (Sen2Cor appends .xsd)."""
    path = cfg_dir() / f"{scheme}.xsd"
    if not path.is_file():
        raise ConfigError(f"{gipp}: Common_Section/{element} = {scheme!r} names no schema ({path} does not exist); "
                          f"expected the name, without .xsd, of a schema in {cfg_dir()} (default "
                          f"{_DEFAULT_SCHEMES[element]})")
    return path


_DEFAULT_SCHEMES = {"GIPP_Scheme": "L2A_GIPP", "SC_Scheme": "L2A_CAL_SC_GIPP", "AC_Scheme": "L2A_CAL_AC_GIPP",
                    "PB_Scheme": "L2A_PB_GIPP"}


def _select(option: str, given: Path | str | None, home: Path, default: Path) -> Path:
    return find_gipp(option, Path(given), home) if given else default


@contextlib.contextmanager
def _in_file(path: Path) -> Iterator[None]:
    """Prefix semantic ConfigErrors raised while building sections with the GIPP file name."""
    try:
        yield
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _text(node: etree._Element, xpath: str) -> str:
    return (node.findtext(xpath) or "").strip()


def _keyword_or_int(text: str, keywords: tuple[str, ...]) -> str | int:
    return text if text in keywords else int(text)


def _none_keyword(text: str) -> str | None:
    return None if text in ("NONE", "") else text


def _bool_word(text: str) -> bool:
    return text == "TRUE"


def read_user_gipp(path: Path) -> tuple[CommonSection, int, AtmosphericCorrection]:
    """L2A_GIPP.xml -> (Common_Section, Median_Filter in pixels, Atmospheric_Correction)."""
    root = read_gipp(path, cfg_dir() / "L2A_GIPP.xsd").getroot()
    gipp_scheme = _text(root, "Common_Section/GIPP_Scheme")
    if gipp_scheme != _DEFAULT_SCHEMES["GIPP_Scheme"]:   # the file names its own schema: validate again
        root = read_gipp(path, scheme_xsd(path, "GIPP_Scheme", gipp_scheme)).getroot()
    c = root.find("Common_Section")
    roi = c.find("Region_Of_Interest")
    with _in_file(path):
        common = CommonSection(
            log_level=_text(c, "Log_Level"),
            region_of_interest=RegionOfInterest(
                *(_keyword_or_int(_text(roi, n), ("OFF", "AUTO")) for n in ("row0", "col0", "nrow_win", "ncol_win"))),
            product_doi=_text(c, "Product_DOI"),
            nr_threads_setting=_keyword_or_int(_text(c, "Nr_Threads"), ("AUTO",)),
            product_generator=_none_keyword(_text(c, "Product_Generator")),
            dem_directory=_none_keyword(_text(c, "DEM_Directory")),
            dem_reference=_none_keyword(_text(c, "DEM_Reference")),
            generate_dem_output=_bool_word(_text(c, "Generate_DEM_Output")),
            force_exit_on_dem_error=_bool_word(_text(c, "Force_Exit_On_DEM_Error")),
            generate_tci_output=_bool_word(_text(c, "Generate_TCI_Output")),
            generate_ddv_output=_bool_word(_text(c, "Generate_DDV_Output")),
            handle_l1c_qlt_mask=_bool_word(_text(c, "Handle_L1C_QLT_Mask")),
            downsample_20_to_60=_bool_word(_text(c, "Downsample_20_to_60")),
            psd_version=None if _text(c, "PSD_Version") == "DEFAULT" else _text(c, "PSD_Version"),
            psd_schemes=tuple(_psd_scheme(s) for s in c.findall("PSD_Scheme")),
            gipp_scheme=_text(c, "GIPP_Scheme"),
            sc_scheme=_text(c, "SC_Scheme"),
            ac_scheme=_text(c, "AC_Scheme"),
            pb_scheme=_text(c, "PB_Scheme"),
            qi_scheme=_text(c, "QI_Scheme"),
        )
        a = root.find("Atmospheric_Correction")
        atmcorr = AtmosphericCorrection(
            aerosol_type=_text(a, "Look_Up_Tables/Aerosol_Type"),
            mid_latitude=_text(a, "Look_Up_Tables/Mid_Latitude"),
            ozone_content_du=int(_text(a, "Look_Up_Tables/Ozone_Content")),
            wv_correction=int(_text(a, "Flags/WV_Correction")),
            vis_update_mode=int(_text(a, "Flags/VIS_Update_Mode")),
            wv_watermask=int(_text(a, "Flags/WV_Watermask")),
            cirrus_correction=_bool_word(_text(a, "Flags/Cirrus_Correction")),
            dem_terrain_correction=_bool_word(_text(a, "Flags/DEM_Terrain_Correction")),
            brdf_correction=int(_text(a, "Flags/BRDF_Correction")),
            brdf_lower_bound=float(_text(a, "Flags/BRDF_Lower_Bound")),
            adj_km=float(_text(a, "Calibration/Adj_Km")),
            visibility_km=float(_text(a, "Calibration/Visibility")),
            altitude_km=float(_text(a, "Calibration/Altitude")),
            smooth_wv_map_m=float(_text(a, "Calibration/Smooth_WV_Map")),
            wv_threshold_cirrus_cm=float(_text(a, "Calibration/WV_Threshold_Cirrus")),
            database_compression_level=int(_text(a, "Calibration/Database_Compression_Level")),
        )
    median_filter_px = int(_text(root, "Scene_Classification/Filters/Median_Filter"))
    return common, median_filter_px, atmcorr


def _psd_scheme(node: etree._Element) -> PsdScheme:
    return PsdScheme(
        psd_version=node.get("PSD_Version"), psd_reference=node.get("PSD_Reference"),
        up_scheme_1c=_text(node, "UP_Scheme_1C"), up_scheme_2a=_text(node, "UP_Scheme_2A"),
        tile_scheme_1c=_text(node, "Tile_Scheme_1C"), tile_scheme_2a=_text(node, "Tile_Scheme_2A"),
        ds_scheme_1c=_text(node, "DS_Scheme_1C"), ds_scheme_2a=_text(node, "DS_Scheme_2A"),
    )


def read_sc_gipp(path: Path, xsd: Path | None = None) -> tuple[CloudThresholds, Classificators, ScReferences]:
    """L2A_CAL_SC_GIPP.xml -> (Thresholds, Classificators, References); ``xsd`` default cfg/L2A_CAL_SC_GIPP.xsd."""
    sc = read_gipp(path, xsd or cfg_dir() / "L2A_CAL_SC_GIPP.xsd").getroot().find("Scene_Classification")
    th = sc.find("Thresholds")
    cl = sc.find("Classificators")
    refs = sc.find("References")
    with _in_file(path):
        thresholds = CloudThresholds(**{f: float(_text(th, g)) for f, g in CloudThresholds.gipp_names().items()})
    classificators = Classificators(**{f: int(_text(cl, f.upper())) for f in Classificators.__dataclass_fields__})
    references = ScReferences(
        snow_map=_text(refs, "Snow_Map"),
        esacci_waterbodies_map=_text(refs, "ESACCI_WaterBodies_Map"),
        esacci_landcover_map=_text(refs, "ESACCI_LandCover_Map"),
        esacci_snowcondition_map_dir=_text(refs, "ESACCI_SnowCondition_Map_Dir"),
    )
    return thresholds, classificators, references


def read_ac_gipp(path: Path, xsd: Path | None = None) -> AcCalibration:
    """L2A_CAL_AC_GIPP.xml -> AcCalibration; ``xsd`` default cfg/L2A_CAL_AC_GIPP.xsd (AC_Scheme)."""
    root = read_gipp(path, xsd or cfg_dir() / "L2A_CAL_AC_GIPP.xsd").getroot()
    flags = root.find("Flags")
    fwhm = [float(e.text) for e in root.findall("Sensor/Resolution/Band_List/fwhm")]
    waves = root.findall("Sensor/Calibration/Band_List/wavelength")
    bands = tuple(
        SensorBand(band, float(w.text), f, float(w.get("c0")), float(w.get("c1")))
        for band, w, f in zip(BAND_IDS, waves, fwhm)
    )

    def prio(cls, section: str):
        node = root.find(section)
        values = {}
        for name, field in cls.__dataclass_fields__.items():
            text = _text(node, ACL_GIPP_NAMES[name])
            values[name] = int(float(text)) if field.type == "int" else float(text)
        return cls(**values)

    with _in_file(path):
        return AcCalibration(
            flags=AcFlags(*(_text(flags, n) in ("true", "1")
                            for n in ("Scaling_Limiter", "Scaling_Disabler", "Rho_Retrieval_Step2"))),
            lib_dir=_text(root, "References/Lib_Dir"),
            bands=bands,
            min_sc_blu=float(_text(root, "Sensor/Calibration/min_sc_blu")),
            max_sc_blu=float(_text(root, "Sensor/Calibration/max_sc_blu")),
            prio_1=prio(AclPrio1, "ACL_Prio_1"),
            prio_2=prio(AclPrio2, "ACL_Prio_2"),
            prio_3=prio(AclPrio3, "ACL_Prio_3"),
        )


def read_pb_gipp(path: Path, xsd: Path | None = None) -> ProcessingBaselineGipp:
    """L2A_PB_GIPP.xml -> ProcessingBaselineGipp (Baseline_Version formatted "dd.dd"); ``xsd`` default
    cfg/L2A_PB_GIPP.xsd (PB_Scheme)."""
    data = read_gipp(path, xsd or cfg_dir() / "L2A_PB_GIPP.xsd").getroot().find("DATA")
    idp = tuple((e.get("workflow") or "", _text(e, "Idp_Sc_Name"), _text(e, "Idp_Sc_Version"))
                for e in data.findall("Idp_Sc_List"))
    return ProcessingBaselineGipp(f"{float(_text(data, 'Baseline_Version')):05.2f}", idp)
