"""SAFE container files of a generated L1C product: manifest.safe, INSPIRE.xml, OLQC quality reports,
HTML presentation and rep_info schemas."""
from __future__ import annotations

import hashlib
from pathlib import Path

from lxml import etree

from sen2cor.bands import BAND_IDS, NATIVE_RESOLUTION_M
from sen2cor.testing.naming import NSSDC_ID, ProductIdentity, iso_ms, iso_us
from sen2cor.testing.xmlutil import XSI, sub, write_xml

XFDU = "urn:ccsds:schema:xfdu:1"
SAFE = "http://www.esa.int/safe/sentinel/1.1"
GML = "http://www.opengis.net/gml"
OLQC = "http://gs2.esa.int/DATA_STRUCTURE/olqcReport"
GMD = "http://www.isotc211.org/2005/gmd"
GCO = "http://www.isotc211.org/2005/gco"
CODELISTS = "http://standards.iso.org/ittf/PubliclyAvailableStandards/ISO_19139_Schemas/resources/Codelist/ML_gmxCodelists.xml"

#: Checks written to each OLQC report (id, item, message).
REPORT_CHECKS = {
    "FORMAT_CORRECTNESS": (("schemaXmlValidator", "MTD_TL.xml", "The schema validation passed successfully."),
                           ("Tile_Position_Size", "MTD_TL.xml", "Tile image size is consistent with its position."),
                           ("Tile_Position_Geoposition", "MTD_TL.xml", "Tile geoposition is valid."),
                           ("checkMetadata", "MTD_TL.xml", "Metadata file is present."),
                           ("Aux_Cams", "AUX_CAMSFO", "CAMS auxiliary file is present."),
                           ("Ecmwf", "AUX_ECMWFT", "ECMWF auxiliary file is present.")),
    "GENERAL_QUALITY": (("Solar_Angle_Zenith", "MTD_TL.xml", "Zenith solar angle is within the threshold limit"),
                        ("checkMetadata", "MTD_TL.xml", "Metadata file is present."),
                        ("Data_Loss", "MTD_TL.xml", "No data loss in this tile.")),
    "GEOMETRIC_QUALITY": (("Geometric_Refining_Quality", "MTD_TL.xml", "Geometric refinement is valid."),),
    "RADIOMETRIC_QUALITY": (("Radiometric_Calibration", "MTD_DS.xml", "Radiometric calibration is valid."),),
    "SENSOR_QUALITY": (("Sensing_Time", "MTD_TL.xml", "Sensing time is valid "),
                       ("checkMetadata", "MTD_TL.xml", "Metadata file is present.")),
}


def write_olqc_report(path: Path, report: str, identity: ProductIdentity, item_name: str,
                      extra: dict[str, dict[str, str]] | None = None) -> Path:
    """Write an OLQC report (``report`` = FORMAT_CORRECTNESS, GENERAL_QUALITY, ...), all checks PASSED."""
    root = etree.Element(f"{{{OLQC}}}Earth_Explorer_File", nsmap={None: OLQC})
    fh = sub(sub(root, f"{{{OLQC}}}Earth_Explorer_Header"), f"{{{OLQC}}}Fixed_Header")
    q = lambda tag: f"{{{OLQC}}}{tag}"  # noqa: E731
    sub(fh, q("File_Name"), f"{report}.xml")
    sub(fh, q("File_Description"), "Report produced by OLQC-SC")
    sub(fh, q("Notes"), "")
    sub(fh, q("Mission"), identity.spacecraft)
    sub(fh, q("File_Class"), "OPER")
    sub(fh, q("File_Type"), "REP_OLQCPA")
    vp = sub(fh, q("Validity_Period"))
    sub(vp, q("Validity_Start"), "UTC=2022-08-30T00:25:00")
    sub(vp, q("Validity_Stop"), "UTC=2100-01-01T00:00:00")
    sub(fh, q("File_Version"), 2)
    src = sub(fh, q("Source"))
    sub(src, q("System"), "OLQC-SC")
    sub(src, q("Creator"), "OLQC-SC")
    sub(src, q("Creator_Version"), "06.03.00")
    sub(src, q("Creation_Date"), "UTC=" + identity.generation_time.strftime("%Y-%m-%dT%H:%M:%S"))
    rep = sub(sub(root, q("Data_Block"), type="xml"), q("report"), gippVersion="1.0", globalStatus="PASSED",
              date=iso_ms(identity.generation_time))
    cl = sub(rep, q("checkList"))
    sub(cl, q("parentID"), f"{identity.spacecraft}_OPER_GIP_OLQCPA_MPC__20220715T000042_V20220830T002500")
    sub(cl, q("name"), report)
    sub(cl, q("version"), "1.0")
    sub(cl, q("item"), url=f"./{item_name}/", className="PDI Level 1C Container", name=item_name,
        **{"class": "http://www.esa.int/s2#pdi_level_1c_container"})
    stamp = iso_ms(identity.generation_time)
    for check_id, item, message in REPORT_CHECKS[report]:
        ck = sub(cl, q("check"))
        sub(ck, q("inspection"), creation=stamp, duration="1", execution=stamp, id=check_id, item=item,
            itemURL=f"./{item_name}/{item}", name=f"{check_id}. ", priority="5", processingStatus="done",
            status="PASSED")
        sub(ck, q("message"), message, contentType="text/plain")
        values = (extra or {}).get(check_id)
        if values:
            ev = sub(ck, q("extraValues"))
            for name, value in values.items():
                sub(ev, q("value"), value, name=name)
    return write_xml(root, path, standalone="yes")


def write_inspire(path: Path, identity: ProductIdentity, footprint_lonlat: list[tuple[float, float]]) -> Path:
    """Write INSPIRE.xml (ISO 19139 discovery metadata) with the product's footprint and sensing period."""
    g = lambda tag: f"{{{GMD}}}{tag}"   # noqa: E731
    c = lambda tag: f"{{{GCO}}}{tag}"   # noqa: E731
    root = etree.Element(g("MD_Metadata"), nsmap={"gmd": GMD, "gco": GCO, "gml": GML, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{GMD} http://schemas.opengis.net/iso/19139/20060504/gmd/gmd.xsd")

    def text(parent, tag, value, kind="CharacterString"):
        return sub(sub(parent, g(tag)), c(kind), value)

    def code(parent, tag, codetag, value, codelist):
        return sub(sub(parent, g(tag)), g(codetag), value, codeList=codelist, codeListValue=value)

    def contact(parent, tag, org, mail, role):
        rp = sub(sub(parent, g(tag)), g("CI_ResponsibleParty"))
        text(rp, "organisationName", org)
        addr = sub(sub(sub(sub(rp, g("contactInfo")), g("CI_Contact")), g("address")), g("CI_Address"))
        text(addr, "electronicMailAddress", mail)
        code(rp, "role", "CI_RoleCode", role, CODELISTS + "#CI_RoleCode")

    def dated(parent, tag, date, kind):
        d = sub(sub(parent, g(tag)), g("CI_Date"))
        sub(sub(d, g("date")), c("Date"), date)
        code(d, "dateType", "CI_DateTypeCode", kind, CODELISTS + "#CI_DateTypeCode")

    text(root, "fileIdentifier", "publisher")
    sub(sub(root, g("language")), g("LanguageCode"), "eng", codeList="http://www.loc.gov/standards/iso639-2/",
        codeListValue="eng")
    sub(sub(root, g("characterSet")), g("MD_CharacterSetCode"), "",
        codeList="http://www.isotc211.org/2005/resources/Codelist/gmxCodelists.xml#MD_CharacterSetCode",
        codeListValue="MD_CharacterSetCode_utf8", codeSpace="ISOTC211/19115")
    code(root, "hierarchyLevel", "MD_ScopeCode", "dataset", CODELISTS + "#MD_ScopeCode")
    contact(root, "contact", "org_name", "org_name@org.ext", "pointOfContact")
    sub(sub(root, g("dateStamp")), c("Date"), identity.generation_time.strftime("%Y-%m-%d"))
    text(root, "metadataStandardName", "ISO19115")
    text(root, "metadataStandardVersion", "2003/Cor.1:2006")
    rsi = sub(sub(sub(root, g("referenceSystemInfo")), g("MD_ReferenceSystem")), g("referenceSystemIdentifier"))
    rid = sub(rsi, g("RS_Identifier"))
    text(rid, "code", "http://www.opengis.net/def/crs/EPSG/0/4936")
    text(rid, "codeSpace", "INSPIRE RS registry")
    di = sub(sub(root, g("identificationInfo")), g("MD_DataIdentification"))
    cit = sub(sub(di, g("citation")), g("CI_Citation"))
    text(cit, "title", identity.product_name)
    dated(cit, "date", identity.generation_time.strftime("%Y-%m-%d"), "creation")
    for _ in range(2):
        ident = sub(sub(cit, g("identifier")), g("RS_Identifier"))
        text(ident, "code", "publisher")
        text(ident, "codeSpace", "http://www.isotc211.org/2005/gmd")
    text(di, "abstract", " ".join(f"{lat!r} {lon!r}" for lon, lat in footprint_lonlat))
    contact(di, "pointOfContact", "response_party", "respons_party@org.ext", "owner")
    for words, thesaurus in ((("Orthoimagery", "Land cover", "Geographical names"),
                              "GEMET - INSPIRE themes, version 1.0"),
                             (("Sentinel-2",), "GCMD Platforms"), (("MSI",), "GCMD Instruments")):
        kw = sub(sub(di, g("descriptiveKeywords")), g("MD_Keywords"))
        for w in words:
            text(kw, "keyword", w)
        th = sub(sub(kw, g("thesaurusName")), g("CI_Citation"))
        text(th, "title", thesaurus)
        dated(th, "date", "2011-09-12", "publication")
    rc = sub(di, g("resourceConstraints"))
    text(sub(rc, g("MD_Constraints")), "useLimitation", "no conditions apply")
    lc = sub(sub(di, g("resourceConstraints")), g("MD_LegalConstraints"))
    code(lc, "accessConstraints", "MD_RestrictionCode", "otherRestrictions", CODELISTS + "#MD_RestrictionCode")
    text(lc, "otherConstraints", "no limitations")
    frac = sub(sub(sub(sub(di, g("spatialResolution")), g("MD_Resolution")), g("equivalentScale")),
               g("MD_RepresentativeFraction"))
    text(frac, "denominator", 20, kind="Integer")
    sub(sub(di, g("language")), g("LanguageCode"), "eng", codeList="http://www.loc.gov/standards/iso639-2/",
        codeListValue="eng")
    sub(sub(di, g("topicCategory")), g("MD_TopicCategoryCode"), "imageryBaseMapsEarthCover")
    ext = sub(sub(di, g("extent")), g("EX_Extent"))
    bbox = sub(sub(ext, g("geographicElement")), g("EX_GeographicBoundingBox"))
    lons, lats = [p[0] for p in footprint_lonlat], [p[1] for p in footprint_lonlat]
    for tag, v in (("westBoundLongitude", min(lons)), ("eastBoundLongitude", max(lons)),
                   ("southBoundLatitude", min(lats)), ("northBoundLatitude", max(lats))):
        text(bbox, tag, repr(v), kind="Decimal")
    te = sub(sub(sub(ext, g("temporalElement")), g("EX_TemporalExtent")), g("extent"))
    tp = sub(te, f"{{{GML}}}TimePeriod", **{f"{{{GML}}}id": "ID" + identity.product_name[-15:]})
    sub(tp, f"{{{GML}}}beginPosition", identity.datastrip_start.strftime("%Y-%m-%dT%H:%M:%S"))
    sub(tp, f"{{{GML}}}endPosition", identity.tile_sensing.strftime("%Y-%m-%dT%H:%M:%S"))
    fmt_ = sub(sub(sub(sub(root, g("distributionInfo")), g("MD_Distribution")), g("distributionFormat")),
               g("MD_Format"))
    text(fmt_, "name", "unknown")
    text(fmt_, "version", "unknown")
    dist = fmt_.getparent().getparent()
    res = sub(sub(sub(sub(dist, g("transferOptions")), g("MD_DigitalTransferOptions")), g("onLine")),
              g("CI_OnlineResource"))
    text(res, "linkage", "http://www.isotc211.org/2005/gmx", kind="URL")
    dq = sub(sub(root, g("dataQualityInfo")), g("DQ_DataQuality"))
    scope = sub(sub(dq, g("scope")), g("DQ_Scope"))
    code(scope, "level", "MD_ScopeCode", "dataset", CODELISTS + "#MD_ScopeCode")
    dc = sub(sub(dq, g("report")), g("DQ_DomainConsistency"), **{f"{{{XSI}}}type": "DQ_DomainConsistency_Type"})
    cr = sub(sub(dc, g("result")), g("DQ_ConformanceResult"), **{f"{{{XSI}}}type": "DQ_ConformanceResult_Type"})
    spec = sub(sub(cr, g("specification")), g("CI_Citation"))
    text(spec, "title", "Commission Regulation (EU) No 1089/2010 of 23 November 2010 implementing Directive "
                        "2007/2/EC as regards interoperability of spatial data sets and services")
    dated(spec, "date", "2010-12-08", "publication")
    text(cr, "explanation", "See the referenced specification")
    text(cr, "pass", "true", kind="Boolean")
    text(sub(sub(dq, g("lineage")), g("LI_Lineage")), "statement", "missing")
    return write_xml(root, path, standalone=None)


def write_html(html_dir: Path, identity: ProductIdentity) -> None:
    """HTML/UserProduct_index.html and its stylesheet (presentation only)."""
    html_dir.mkdir(parents=True, exist_ok=True)
    (html_dir / "UserProduct_index.html").write_text(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + identity.product_name +
        "</title></head><body><h1>Sentinel-2 MSI Level-1C User Product</h1><p>" + identity.product_name +
        "</p><p>Synthetic test product written by sen2cor.testing.</p></body></html>\n", encoding="utf-8")
    (html_dir / "UserProduct_index.xsl").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<xsl:stylesheet version="1.0" '
        'xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/"><html><body>'
        '<xsl:value-of select="//PRODUCT_URI"/></body></html></xsl:template></xsl:stylesheet>\n', encoding="utf-8")


REP_INFO_SCHEMAS = ("S2_User_Product_Level-1C_Metadata.xsd", "S2_PDI_Level-1C_Tile_Metadata.xsd",
                    "S2_PDI_Level-1C_Datastrip_Metadata.xsd")


def write_rep_info(rep_dir: Path, identity: ProductIdentity) -> None:
    """rep_info/ schema files: minimal stand-ins declaring the root elements (the real PSD XSDs are not shipped)."""
    rep_dir.mkdir(parents=True, exist_ok=True)
    roots = ("Level-1C_User_Product", "Level-1C_Tile_ID", "Level-1C_DataStrip_ID")
    schemas = ("User_Product_Level-1C", "S2_PDI_Level-1C_Tile_Metadata", "S2_PDI_Level-1C_Datastrip_Metadata")
    for name, root, schema in zip(REP_INFO_SCHEMAS, roots, schemas):
        ns = identity.namespace(schema)
        (rep_dir / name).write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{ns}">\n'
            f'  <xs:element name="{root}"><xs:complexType><xs:sequence>'
            '<xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>'
            '<xs:anyAttribute processContents="skip"/></xs:complexType></xs:element>\n</xs:schema>\n',
            encoding="utf-8")


def _sha3(path: Path) -> str:
    h = hashlib.sha3_256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(8 * 1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest().upper()


_GROUP_ORDER = {10: ("B02", "B03", "B04", "B08"), 20: ("B05", "B06", "B07", "B8A", "B11", "B12"),
                60: ("B01", "B09", "B10")}


def _band_key(band: str) -> str:
    res = NATIVE_RESOLUTION_M[band]
    k = _GROUP_ORDER[res].index(band) + 1
    return f"{res}m_{k}"


def write_manifest(safe_dir: Path, identity: ProductIdentity, footprint_lonlat: list[tuple[float, float]]) -> Path:
    """Write manifest.safe listing every product file with its size and SHA3-256 checksum."""
    ds = f"DATASTRIP/{identity.datastrip_name}"
    gr = f"GRANULE/{identity.granule_name}"
    objects: list[tuple[str, str, str]] = [        # (dataObject ID, relative path, mime type)
        ("S2_Level-1C_Product_Metadata", "MTD_MSIL1C.xml", "text/xml"),
        ("INSPIRE_Metadata", "INSPIRE.xml", "text/xml"),
        ("HTML_Presentation", "HTML/UserProduct_index.html", "octet"),
        ("HTML_Presentation_Stylesheet", "HTML/UserProduct_index.xsl", "octet"),
        ("S2_Level-1C_Datastrip1_Metadata", f"{ds}/MTD_DS.xml", "application/xml"),
    ]
    for prefix, report in (("Format", "FORMAT_CORRECTNESS"), ("General", "GENERAL_QUALITY"),
                           ("Geometric", "GEOMETRIC_QUALITY"), ("Radiometric", "RADIOMETRIC_QUALITY"),
                           ("Sensor", "SENSOR_QUALITY")):
        objects.append((f"{prefix}_OLQC_Report_Datastrip1_InformationData", f"{ds}/QI_DATA/{report}.xml",
                        "application/xml"))
    tile_units: dict[str, list[str]] = {"AUX_DATA": [], "IMG_DATA": [], "QI_DATA": [], "MTD": []}
    for oid, name in (("CAMS_Tile1_Data", "AUX_CAMSFO"), ("ECMWF_Tile1_Data", "AUX_ECMWFT")):
        objects.append((oid, f"{gr}/AUX_DATA/{name}", "application/octet-stream"))
        tile_units["AUX_DATA"].append(oid)
    for band in sorted(BAND_IDS):
        oid = f"IMG_DATA_Band_{_band_key(band)}_Tile1_Data"
        objects.append((oid, f"{gr}/IMG_DATA/{identity.image_prefix}_{band}.jp2", "application/octet-stream"))
        tile_units["IMG_DATA"].append(oid)
    objects.append(("IMG_DATA_Band_TCI_Tile1_Data", f"{gr}/IMG_DATA/{identity.image_prefix}_TCI.jp2",
                    "application/octet-stream"))
    tile_units["IMG_DATA"].append("IMG_DATA_Band_TCI_Tile1_Data")
    objects.append(("S2_Level-1C_Tile1_Metadata", f"{gr}/MTD_TL.xml", "text/xml"))
    qi = [("Format_OLQC_Report_Tile1_InformationData", "FORMAT_CORRECTNESS.xml", "application/xml"),
          ("General_OLQC_Report_Tile1_InformationData", "GENERAL_QUALITY.xml", "application/xml"),
          ("Geometric_OLQC_Report_Tile1_InformationData", "GEOMETRIC_QUALITY.xml", "application/xml"),
          ("ClassiPixelsMask_Band_00m_0_Tile1_Data", "MSK_CLASSI_B00.jp2", "application/octet-stream")]
    for kind, fname in (("DetectorFootprintMask", "MSK_DETFOO"), ("QualitPixelsMask", "MSK_QUALIT")):
        for band in sorted(BAND_IDS):
            i = sorted(BAND_IDS).index(band)          # B01..B12 then B8A, as in real manifests
            suffix = f"_{i}" if i else ""
            qi.append((f"{kind}_Band_{_band_key(band)}{suffix}_Tile1_Data", f"{fname}_{band}.jp2",
                       "application/octet-stream"))
    qi.append(("Sensor_OLQC_Report_Tile1_InformationData", "SENSOR_QUALITY.xml", "application/xml"))
    qi.append(("Preview_0_Tile1_Data", f"{identity.image_prefix}_PVI.jp2", "application/octet-stream"))
    for oid, fname, mime in qi:
        objects.append((oid, f"{gr}/QI_DATA/{fname}", mime))
        tile_units["QI_DATA"].append(oid)

    x = lambda tag: f"{{{XFDU}}}{tag}"   # noqa: E731
    s = lambda tag: f"{{{SAFE}}}{tag}"   # noqa: E731
    root = etree.Element(x("XFDU"), nsmap={"gml": GML, "safe": SAFE, "xfdu": XFDU},
                         version="esa/safe/sentinel/1.1/sentinel-2/msi/archive_l1c_user_product")
    top = sub(sub(root, "informationPackageMap"), x("contentUnit"), dmdID="acquisitionPeriod platform",
              pdiID="processing", textInfo="SENTINEL-2 MSI Level-1C User Product", unitType="Product_Level-1C")

    def unit(parent, uid, oid, unit_type="Measurement Data Unit", text_info="Quality Control Container"):
        cu = sub(parent, x("contentUnit"), ID=uid, textInfo=text_info, unitType=unit_type)
        sub(cu, "dataObjectPointer", dataObjectID=oid)
        return cu

    for uid, oid in (("Product_Metadata_Level-1C", "S2_Level-1C_Product_Metadata"),
                     ("INSPIRE_Metadata_Unit", "INSPIRE_Metadata")):
        sub(sub(top, x("contentUnit"), ID=uid, unitType="Metadata Unit"), "dataObjectPointer", dataObjectID=oid)
    html = sub(top, x("contentUnit"), ID="HTML", textInfo="HTML container")
    for uid, oid in (("HTML_Presentation_Unit", "HTML_Presentation"),
                     ("HTML_Stylesheet_Unit", "HTML_Presentation_Stylesheet")):
        sub(sub(html, x("contentUnit"), ID=uid, unitType="Data Unit"), "dataObjectPointer", dataObjectID=oid)
    dss = sub(sub(top, x("contentUnit"), ID="Datastrips", textInfo="Datastrips Container"), x("contentUnit"),
              ID="Datastrip1", textInfo="Datastrip Container")
    sub(sub(dss, x("contentUnit"), ID="S2_Level-1C_Datastrip1_Metadata_Unit", unitType="Metadata Unit"),
        "dataObjectPointer", dataObjectID="S2_Level-1C_Datastrip1_Metadata")
    dsqi = sub(dss, x("contentUnit"), ID="QI_DATA_Datastrip1", textInfo="Quality Control Container")
    for oid, _, _ in objects[5:10]:
        unit(dsqi, oid.replace("InformationData", "InformationUnit"), oid)
    tile = sub(sub(top, x("contentUnit"), ID="Tiles", textInfo="Tiles Container"), x("contentUnit"), ID="Tile1",
               textInfo="Tile Container")
    aux = sub(tile, x("contentUnit"), ID="AUX_DATA_GranuleTile1", textInfo="Auxiliary Container")
    for oid in tile_units["AUX_DATA"]:
        unit(aux, oid.replace("_Data", "_Unit"), oid, text_info="Auxiliary Container")
    img = sub(tile, x("contentUnit"), ID="IMG_Data_Tile1", textInfo="Image Data Container")
    for oid in tile_units["IMG_DATA"]:
        unit(img, oid.replace("_Data", "_Unit"), oid, text_info="Image Data container")
    sub(sub(tile, x("contentUnit"), ID="S2_Level-1C_Tile1_Metadata_Unit", unitType="Metadata Unit"),
        "dataObjectPointer", dataObjectID="S2_Level-1C_Tile1_Metadata")
    qid = sub(tile, x("contentUnit"), ID="QI_DATA_Tile1", textInfo="Quality Control Container")
    for oid in tile_units["QI_DATA"]:
        unit(qid, oid.replace("InformationData", "InformationUnit").replace("_Data", "_Unit"), oid)

    ms = sub(root, "metadataSection")

    def wrapped(oid, category, classification, text_info):
        mo = sub(ms, "metadataObject", ID=oid, category=category, classification=classification)
        return sub(sub(mo, "metadataWrap", mimeType="text/xml", textInfo=text_info, vocabularyName="Sentinel-SAFE"),
                   "xmlData")

    sub(sub(wrapped("acquisitionPeriod", "DMD", "DESCRIPTION", "Acquisition Period"), s("acquisitionPeriod")),
        s("startTime"), iso_ms(identity.datatake_start))
    orb = sub(wrapped("measurementOrbitReference", "DMD", "DESCRIPTION", "Orbit Reference"), s("orbitReference"))
    sub(orb, s("orbitNumber"), f"{identity.absolute_orbit:06d}", groundTrackDirection="descending", type="start")
    sub(orb, s("relativeOrbitNumber"), f"{identity.relative_orbit:03d}", type="start")
    plat = sub(wrapped("platform", "DMD", "DESCRIPTION", "Platform Description"), s("platform"))
    sub(plat, s("nssdcIdentifier"), NSSDC_ID[identity.spacecraft])
    sub(plat, s("familyName"), "SENTINEL")
    sub(plat, s("number"), identity.spacecraft[1:])
    sub(sub(plat, s("instrument")), s("familyName"), "Multi-Spectral Instrument", abbreviation="MSI")
    sub(wrapped("processing", "PDI", "PROVENANCE", "Processing"), s("processing"),
        name="Generation of Level-1C User Product", start=iso_us(identity.generation_time))
    fs = sub(sub(wrapped("measurementFrameSet", "DMD", "DESCRIPTION", "Frame Set"), s("frameSet")), s("footPrint"),
             srsName="http://www.opengis.net/gml/srs/epsg.xml#4326")
    sub(fs, f"{{{GML}}}coordinates", " ".join(f"{lat!r} {lon!r}" for lon, lat in footprint_lonlat) + " ")
    for oid in ("S2_Level-1C_Product_Metadata", "INSPIRE_Metadata", "S2_Level-1C_Datastrip1_Metadata",
                "S2_Level-1C_Tile1_Metadata"):
        mo = sub(ms, "metadataObject", ID=oid + "_Information", category="DMD", classification="DESCRIPTION")
        sub(mo, "dataObjectPointer", dataObjectID=oid)

    dos = sub(root, "dataObjectSection")
    for oid, rel, mime in objects:
        path = safe_dir / rel
        bs = sub(sub(dos, "dataObject", ID=oid), "byteStream", mimeType=mime, size=path.stat().st_size)
        sub(bs, "fileLocation", href=f"./{rel}", locatorType="URL")
        sub(bs, "checksum", _sha3(path), checksumName="SHA3-256")
    return write_xml(root, safe_dir / "manifest.safe")
