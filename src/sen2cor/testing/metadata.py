"""MTD_MSIL1C.xml, MTD_TL.xml and DATASTRIP/MTD_DS.xml of a generated L1C product (PSD 14.9 / 15 layout)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lxml import etree

from sen2cor.bands import BAND_IDS, NATIVE_RESOLUTION_M
from sen2cor.testing.forward import QUANTIFICATION_VALUE, RADIO_ADD_OFFSET
from sen2cor.testing.geometry import ANGLE_STEP_M, AngleGrids
from sen2cor.testing.naming import SPACECRAFT_NAME, ProductIdentity, iso_ms, iso_us
from sen2cor.testing.spectra import PHYSICAL_GAINS, BandInfo
from sen2cor.testing.tiles import TileGrid
from sen2cor.testing.xmlutil import XSI, fmt, sub, write_xml

PRODUCT_DOI = "https://doi.org/10.5270/S2_-742ikth"
#: GIPP files listed in the product metadata (type, version); one entry each (real products list ~135).
GIPPS = (("GIP_ATMIMA", "0002"), ("GIP_ATMSAD", "0005"), ("GIP_BLINDP", "0003"), ("GIP_CLOINV", "0005"),
         ("GIP_CLOPAR", "0001"), ("GIP_CONVER", "999"), ("GIP_DATATI", "0007"), ("GIP_DECOMP", "0000"),
         ("GIP_EARMOD", "0001"), ("GIP_ECMWFP", "0002"), ("GIP_G2PARA", "0027"), ("GIP_G2PARE", "0002"),
         ("GIP_GEOPAR", "0003"), ("GIP_INTDET", "0010"), ("GIP_INVLOC", "0006"), ("GIP_JP2KPA", "0006"),
         ("GIP_LREXTR", "0001"), ("GIP_MASPAR", "0009"), ("GIP_OLQCPA", "0000"), ("GIP_PRDLOC", "0012"),
         ("GIP_PROBAS", "0510"), ("GIP_R2ABCA", "0239"), ("GIP_R2BINN", "0003"), ("GIP_R2CRCO", "0003"),
         ("GIP_R2DECT", "0003"), ("GIP_R2DEFI", "0003"), ("GIP_R2DENT", "0003"), ("GIP_R2DEPI", "0023"),
         ("GIP_R2EOB2", "0014"), ("GIP_R2EQOG", "0208"), ("GIP_R2L2NC", "0003"), ("GIP_R2NOMO", "0004"),
         ("GIP_R2PARA", "0009"), ("GIP_R2SWIR", "0021"), ("GIP_R2WAFI", "0003"), ("GIP_RESPAR", "0001"),
         ("GIP_SPAMOD", "0026"), ("GIP_TILPAR", "0007"), ("GIP_VIEDIR", "0005"))
QUALITY_CHECKS = ("FORMAT_CORRECTNESS", "GENERAL_QUALITY", "GEOMETRIC_QUALITY", "RADIOMETRIC_QUALITY",
                  "SENSOR_QUALITY")
#: Band order of IMAGE_FILE entries in MTD_MSIL1C.xml.
IMAGE_ORDER = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")


@dataclass(frozen=True)
class ProductQuality:
    """Product-level quality figures (percent)."""

    cloud_percentage: float
    snow_percentage: float
    degraded_msi_percentage: float = 0.0


def _gipp_name(identity: ProductIdentity, gtype: str, version: str) -> str:
    """A GIPP file name in the PDGS pattern (the validity dates are placeholders)."""
    return f"{identity.spacecraft}_OPER_{gtype}_MPC__20230101T{int(version):06d}_V20230101T000000_21000101T000000_B00"


def _reflectance_conversion(parent, u: float, bands: dict[str, BandInfo]) -> None:
    rc = sub(parent, "Reflectance_Conversion")
    sub(rc, "U", repr(float(u)))
    sil = sub(rc, "Solar_Irradiance_List")
    for i, b in enumerate(BAND_IDS):
        sub(sil, "SOLAR_IRRADIANCE", f"{bands[b].solar_irradiance:.2f}", bandId=i, unit="W/m²/µm")


def _spectral_information(parent, bands: dict[str, BandInfo]) -> None:
    sil = sub(parent, "Spectral_Information_List")
    for i, b in enumerate(BAND_IDS):
        info = bands[b]
        si = sub(sil, "Spectral_Information", bandId=i, physicalBand=b.replace("B0", "B"))
        sub(si, "RESOLUTION", NATIVE_RESOLUTION_M[b])
        wl = sub(si, "Wavelength")
        sub(wl, "MIN", info.min_nm, unit="nm")
        sub(wl, "MAX", info.max_nm, unit="nm")
        sub(wl, "CENTRAL", info.central_nm, unit="nm")
        sr = sub(si, "Spectral_Response")
        sub(sr, "STEP", 1, unit="nm")
        sub(sr, "VALUES", " ".join(f"{v:.9g}" for v in info.spectral_response()))


def write_product_metadata(path: Path, identity: ProductIdentity, grid: TileGrid, bands: dict[str, BandInfo],
                           u: float, quality: ProductQuality) -> Path:
    """Write MTD_MSIL1C.xml."""
    ns = identity.namespace("User_Product_Level-1C")
    root = etree.Element(f"{{{ns}}}Level-1C_User_Product", nsmap={"n1": ns, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", ns)
    gi = sub(root, f"{{{ns}}}General_Info")
    pi = sub(gi, "Product_Info")
    sub(pi, "PRODUCT_START_TIME", iso_ms(identity.datatake_start))
    sub(pi, "PRODUCT_STOP_TIME", iso_ms(identity.datatake_start))
    sub(pi, "PRODUCT_URI", identity.product_name + ".SAFE")
    sub(pi, "PROCESSING_LEVEL", "Level-1C")
    sub(pi, "PRODUCT_TYPE", "S2MSI1C")
    sub(pi, "PROCESSING_BASELINE", identity.baseline)
    sub(pi, "PRODUCT_DOI", PRODUCT_DOI)
    sub(pi, "GENERATION_TIME", iso_us(identity.generation_time))
    sub(pi, "PREVIEW_IMAGE_URL", "Not applicable")
    sub(pi, "PREVIEW_GEO_INFO", "Not applicable")
    dt = sub(pi, "Datatake", datatakeIdentifier=identity.datatake_id)
    sub(dt, "SPACECRAFT_NAME", SPACECRAFT_NAME[identity.spacecraft])
    sub(dt, "DATATAKE_TYPE", "INS-NOBS")
    sub(dt, "DATATAKE_SENSING_START", iso_ms(identity.datatake_start))
    sub(dt, "SENSING_ORBIT_NUMBER", identity.relative_orbit)
    sub(dt, "SENSING_ORBIT_DIRECTION", "DESCENDING")
    qo = sub(pi, "Query_Options", completeSingleTile="true")
    sub(qo, "PRODUCT_FORMAT", "SAFE_COMPACT")
    gl = sub(sub(pi, "Product_Organisation"), "Granule_List")
    gr = sub(gl, "Granule", datastripIdentifier=identity.datastrip_long_id, granuleIdentifier=identity.tile_long_id,
             imageFormat="JPEG2000")
    for b in (*IMAGE_ORDER, "TCI"):
        sub(gr, "IMAGE_FILE", f"GRANULE/{identity.granule_name}/IMG_DATA/{identity.image_prefix}_{b}")
    pic = sub(gi, "Product_Image_Characteristics")
    for text, index in (("NODATA", 0), ("SATURATED", 65535)):
        sv = sub(pic, "Special_Values")
        sub(sv, "SPECIAL_VALUE_TEXT", text)
        sub(sv, "SPECIAL_VALUE_INDEX", index)
    ido = sub(pic, "Image_Display_Order")
    sub(ido, "RED_CHANNEL", 3)
    sub(ido, "GREEN_CHANNEL", 2)
    sub(ido, "BLUE_CHANNEL", 1)
    sub(pic, "QUANTIFICATION_VALUE", int(QUANTIFICATION_VALUE), unit="none")
    rol = sub(pic, "Radiometric_Offset_List")
    for i in range(len(BAND_IDS)):
        sub(rol, "RADIO_ADD_OFFSET", RADIO_ADD_OFFSET, band_id=i)
    _reflectance_conversion(pic, u, bands)
    _spectral_information(pic, bands)
    for i, gain in enumerate(PHYSICAL_GAINS):
        sub(pic, "PHYSICAL_GAINS", repr(gain), bandId=i)
    sub(pic, "REFERENCE_BAND", 3)

    geo = sub(root, f"{{{ns}}}Geometric_Info")
    pf = sub(geo, "Product_Footprint")
    gf = sub(sub(pf, "Product_Footprint"), "Global_Footprint")
    sub(gf, "EXT_POS_LIST", " ".join(f"{lat!r} {lon!r}" for lon, lat in grid.footprint_lonlat()))
    sub(pf, "RASTER_CS_TYPE", "POINT")
    sub(pf, "PIXEL_ORIGIN", 1)
    crs = sub(geo, "Coordinate_Reference_System")
    sub(crs, "GEO_TABLES", "EPSG", version=1)
    sub(crs, "HORIZONTAL_CS_TYPE", "GEOGRAPHIC")

    aux = sub(root, f"{{{ns}}}Auxiliary_Data_Info")
    gipps = sub(aux, "GIPP_List")
    for gtype, version in GIPPS:
        sub(gipps, "GIPP_FILENAME", _gipp_name(identity, gtype, version), type=gtype, version=version)
    sub(aux, "PRODUCTION_DEM_TYPE", "S2__OPER_DEM_GLOBEF_PDMC_19800101T000000_S19800101T000000")
    sub(aux, "IERS_BULLETIN_FILENAME", "S2__OPER_AUX_UT1UTC_PDMC_20230101T000000_V20230101T000000_21000101T000000")
    sub(sub(aux, "GRI_List"), "GRI_FILENAME",
        f"{identity.spacecraft}_OPER_GRI_MSIL1B_MPC__20160521T184422_S20151114T103133")
    day = identity.tile_sensing.strftime("%Y%m%d")
    sub(aux, "ECMWF_DATA_REF", f"S2__OPER_AUX_ECMWFD_ADG__{day}T000000_V{day}T090000_{day}T210000")

    qii = sub(root, f"{{{ns}}}Quality_Indicators_Info")
    sub(qii, "Cloud_Coverage_Assessment", fmt(quality.cloud_percentage))
    sub(qii, "Snow_Coverage_Assessment", fmt(quality.snow_percentage))
    tqa = sub(qii, "Technical_Quality_Assessment")
    sub(tqa, "DEGRADED_ANC_DATA_PERCENTAGE", "0.0")
    sub(tqa, "DEGRADED_MSI_DATA_PERCENTAGE", fmt(quality.degraded_msi_percentage))
    qcc = sub(qii, "Quality_Control_Checks")
    qi = sub(qcc, "Quality_Inspections")
    for check in QUALITY_CHECKS:
        sub(qi, "quality_check", "PASSED", checkType=check)
    sub(qcc, "Failed_Inspections")
    return write_xml(root, path)


def _values_list(parent, grid: np.ndarray) -> None:
    vl = sub(parent, "Values_List")
    for row in grid:
        sub(vl, "VALUES", " ".join(fmt(float(v), 6) for v in row))


def _angle_block(parent, name: str, values: np.ndarray) -> None:
    blk = sub(parent, name)
    sub(blk, "COL_STEP", int(ANGLE_STEP_M), unit="m")
    sub(blk, "ROW_STEP", int(ANGLE_STEP_M), unit="m")
    _values_list(blk, values)


def write_tile_metadata(path: Path, identity: ProductIdentity, grid: TileGrid, angles: AngleGrids,
                        cloud_percentage: float, degraded_msi_percentage: float = 0.0) -> Path:
    """Write GRANULE/<tile>/MTD_TL.xml with tile geocoding, 5 km angle grids and pixel-level QI list."""
    ns = identity.namespace("S2_PDI_Level-1C_Tile_Metadata")
    root = etree.Element(f"{{{ns}}}Level-1C_Tile_ID", nsmap={"n1": ns, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", ns)
    gi = sub(root, f"{{{ns}}}General_Info")
    sub(gi, "TILE_ID", identity.tile_long_id, metadataLevel="Brief")
    sub(gi, "DATASTRIP_ID", identity.datastrip_long_id, metadataLevel="Standard")
    sub(gi, "DOWNLINK_PRIORITY", "NOMINAL", metadataLevel="Standard")
    sub(gi, "SENSING_TIME", iso_us(identity.tile_sensing), metadataLevel="Standard")
    ai = sub(gi, "Archiving_Info", metadataLevel="Expertise")
    sub(ai, "ARCHIVING_CENTRE", identity.centre)
    sub(ai, "ARCHIVING_TIME", iso_us(identity.generation_time))

    geo = sub(root, f"{{{ns}}}Geometric_Info")
    tg = sub(geo, "Tile_Geocoding", metadataLevel="Brief")
    sub(tg, "HORIZONTAL_CS_NAME", grid.crs_name)
    sub(tg, "HORIZONTAL_CS_CODE", f"EPSG:{grid.epsg}")
    for res in (10, 20, 60):
        size = sub(tg, "Size", resolution=res)
        n = int(grid.extent_m() // res)
        sub(size, "NROWS", n)
        sub(size, "NCOLS", n)
    for res in (10, 20, 60):
        gp = sub(tg, "Geoposition", resolution=res)
        sub(gp, "ULX", fmt(grid.ulx_m))
        sub(gp, "ULY", fmt(grid.uly_m))
        sub(gp, "XDIM", res)
        sub(gp, "YDIM", -res)
    ta = sub(geo, "Tile_Angles", metadataLevel="Standard")
    sun = sub(ta, "Sun_Angles_Grid")
    _angle_block(sun, "Zenith", angles.sun_zenith)
    _angle_block(sun, "Azimuth", angles.sun_azimuth)
    msa = sub(ta, "Mean_Sun_Angle")
    sub(msa, "ZENITH_ANGLE", fmt(angles.mean_sun[0]), unit="deg")
    sub(msa, "AZIMUTH_ANGLE", fmt(angles.mean_sun[1]), unit="deg")
    for (band, det) in sorted(angles.view_zenith, key=lambda k: (BAND_IDS.index(k[0]), k[1])):
        vig = sub(ta, "Viewing_Incidence_Angles_Grids", bandId=BAND_IDS.index(band), detectorId=det)
        _angle_block(vig, "Zenith", angles.view_zenith[(band, det)])
        _angle_block(vig, "Azimuth", angles.view_azimuth[(band, det)])
    mvl = sub(ta, "Mean_Viewing_Incidence_Angle_List")
    for i, band in enumerate(BAND_IDS):
        if band not in angles.mean_view:
            continue
        mv = sub(mvl, "Mean_Viewing_Incidence_Angle", bandId=i)
        sub(mv, "ZENITH_ANGLE", fmt(angles.mean_view[band][0]), unit="deg")
        sub(mv, "AZIMUTH_ANGLE", fmt(angles.mean_view[band][1]), unit="deg")

    qii = sub(root, f"{{{ns}}}Quality_Indicators_Info", metadataLevel="Standard")
    icq = sub(qii, "Image_Content_QI")
    sub(icq, "CLOUDY_PIXEL_PERCENTAGE", fmt(cloud_percentage, 6))
    sub(icq, "DEGRADED_MSI_DATA_PERCENTAGE", fmt(degraded_msi_percentage, 6))
    plq = sub(qii, "Pixel_Level_QI", geometry="FULL_RESOLUTION")
    qi_dir = f"GRANULE/{identity.granule_name}/QI_DATA"
    for i, band in enumerate(BAND_IDS):
        for kind in ("MSK_DETFOO", "MSK_QUALIT"):
            sub(plq, "MASK_FILENAME", f"{qi_dir}/{kind}_{band}.jp2", bandId=i, type=kind)
    sub(plq, "MASK_FILENAME", f"{qi_dir}/MSK_CLASSI_B00.jp2", type="MSK_CLASSI")
    sub(qii, "PVI_FILENAME", f"{qi_dir}/{identity.image_prefix}_PVI.jp2")
    return write_xml(root, path)


def write_datastrip_metadata(path: Path, identity: ProductIdentity, bands: dict[str, BandInfo], u: float) -> Path:
    """Write DATASTRIP/<ds>/MTD_DS.xml (structure after PSD 14.9 Level-1C_DataStrip_ID; no real file to compare)."""
    ns = identity.namespace("S2_PDI_Level-1C_Datastrip_Metadata")
    root = etree.Element(f"{{{ns}}}Level-1C_DataStrip_ID", nsmap={"n1": ns, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", ns)
    gi = sub(root, f"{{{ns}}}General_Info")
    sub(gi, "DATASTRIP_ID", identity.datastrip_long_id, metadataLevel="Brief")
    sub(gi, "DOWNLINK_PRIORITY", "NOMINAL", metadataLevel="Standard")
    dti = sub(gi, "Datatake_Info", datatakeIdentifier=identity.datatake_id, metadataLevel="Brief")
    sub(dti, "DATATAKE_TYPE", "INS-NOBS")
    sub(dti, "DATATAKE_SENSING_START", iso_ms(identity.datatake_start))
    sub(dti, "SENSING_ORBIT_NUMBER", identity.relative_orbit)
    sub(dti, "SENSING_ORBIT_DIRECTION", "DESCENDING")
    sub(gi, "SPACECRAFT_NAME", SPACECRAFT_NAME[identity.spacecraft], metadataLevel="Brief")
    dsti = sub(gi, "Datastrip_Time_Info", metadataLevel="Brief")
    sub(dsti, "DATASTRIP_SENSING_START", iso_ms(identity.datastrip_start))
    sub(dsti, "DATASTRIP_SENSING_STOP", iso_ms(identity.tile_sensing))
    prc = sub(gi, "Processing_Info", metadataLevel="Brief")
    sub(prc, "UTC_DATE_TIME", iso_ms(identity.generation_time))
    sub(prc, "PROCESSING_CENTER", identity.centre)
    sub(prc, "PROCESSING_BASELINE", identity.baseline)
    sub(gi, "PRODUCT_DOI", PRODUCT_DOI)
    ai = sub(gi, "Archiving_Info", metadataLevel="Expertise")
    sub(ai, "ARCHIVING_CENTRE", identity.centre)
    sub(ai, "ARCHIVING_TIME", iso_us(identity.generation_time))
    idi = sub(root, f"{{{ns}}}Image_Data_Info")
    tl = sub(sub(idi, "Tiles_Information", metadataLevel="Standard"), "Tile_List")
    sub(tl, "Tile", tileId=identity.tile_long_id)
    ri = sub(idi, "Radiometric_Info", metadataLevel="Standard")
    sub(ri, "QUANTIFICATION_VALUE", int(QUANTIFICATION_VALUE), unit="none")
    rol = sub(ri, "Radiometric_Offset_List")
    for i in range(len(BAND_IDS)):
        sub(rol, "RADIO_ADD_OFFSET", RADIO_ADD_OFFSET, band_id=i)
    _reflectance_conversion(ri, u, bands)
    _spectral_information(ri, bands)
    aux = sub(root, f"{{{ns}}}Auxiliary_Data_Info", metadataLevel="Standard")
    gipps = sub(aux, "GIPP_List")
    for gtype, version in GIPPS:
        sub(gipps, "GIPP_FILENAME", _gipp_name(identity, gtype, version), type=gtype, version=version)
    sub(aux, "PRODUCTION_DEM_TYPE", "S2__OPER_DEM_GLOBEF_PDMC_19800101T000000_S19800101T000000")
    day = identity.tile_sensing.strftime("%Y%m%d")
    sub(aux, "ECMWF_DATA_REF", f"S2__OPER_AUX_ECMWFD_ADG__{day}T000000_V{day}T090000_{day}T210000")
    sub(aux, "CAMS_DATA_REF", f"S2__OPER_AUX_CAMSFO_ADG__{day}T000000_V{day}T090000_{day}T210000")
    qii = sub(root, f"{{{ns}}}Quality_Indicators_Info", metadataLevel="Standard")
    qcc = sub(qii, "Quality_Control_Checks")
    qi = sub(qcc, "Quality_Inspections")
    for check in QUALITY_CHECKS:
        sub(qi, "quality_check", "PASSED", checkType=check)
    sub(qcc, "Failed_Inspections")
    return write_xml(root, path)
