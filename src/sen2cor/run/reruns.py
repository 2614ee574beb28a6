"""Re-runs: products already processed, and temporary folders left by interrupted runs.

Sen2Cor 2.3 (release note §3.1.3.2.8, facts §7.4): a resolution already processed for a given L2A
product is not regenerated; the user is told "Product already processed." and the run ends with exit
code 0. A resolution counts as processed when ``IMG_DATA/R<res>m`` holds the AOT image, Sen2Cor's own
test (:func:`sen2cor.product.writer.processed_resolutions`).

Deviation, switchable (``same_mode``): when the product's L2A_QUALITY.xml says whether the atmospheric
correction ran (``AC_ENABLED``), a product made with ``--sc_only`` (TOA bands, zero AOT) does not count
as done for a run with atmospheric correction, nor the reverse: Sen2Cor would skip the run and leave the
user without surface reflectance.

Outputs are assembled in ``.<name>.SAFE.tmp/<name>.SAFE`` and renamed when complete
(:mod:`sen2cor.product.publishing`), so a run killed with SIGKILL leaves only such a hidden folder. The
live run holds a lock in it; :func:`remove_stale_temporaries` deletes the folders whose lock is free (the
kernel releases it when the process dies), which stays right when process ids are reused (containers).
On a network file system another host may own a folder, so there a folder is only removed when nothing
in it changed for :data:`sen2cor.product.publishing.NETWORK_MIN_AGE_S` (6 h).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from sen2cor.product import publishing
from sen2cor.product.writer import L2A_GLOB, find_l2a_products, processed_resolutions

log = logging.getLogger(__name__)

ALREADY_PROCESSED_MESSAGE = "Product already processed."

# --------------------------------------------------------------------------- already processed
def atmospheric_correction_enabled(l2a_root: Path) -> bool | None:
    """``AC_ENABLED`` of the product's L2A_QUALITY.xml (True/False), or None when not recorded."""
    for report in sorted(Path(l2a_root).glob("GRANULE/L2A_T*/QI_DATA/L2A_QUALITY.xml")):
        try:
            root = etree.parse(str(report), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
        except (OSError, etree.XMLSyntaxError) as exc:
            log.warning("cannot read %s (%s); AC_ENABLED unknown", report, exc)
            return None
        for value in root.iter("{*}value", "value"):
            if value.get("name") == "AC_ENABLED":
                return (value.text or "").strip().upper() == "TRUE"
    return None


def find_completed_run(output_dir: Path, l1c_name: str, plan_resolutions: Iterable[int], *,
                       atmospheric_correction: bool = True, same_mode: bool = True) -> Path | None:
    """The newest L2A product of ``l1c_name`` in ``output_dir`` that already holds every resolution of
    the plan, else None (the caller then logs :data:`ALREADY_PROCESSED_MESSAGE` and exits with 0).

    Parameters
    ----------
    output_dir : folder searched (hidden temporary folders are ignored).
    l1c_name : L1C product name, with or without ``.SAFE``; products of the same spacecraft, datatake
        start, relative orbit and tile match, whatever their baseline and generation time.
    plan_resolutions : resolutions the run would write (m), e.g. (20, 10, 60).
    atmospheric_correction : False for ``--sc_only`` runs.
    same_mode : only count products whose recorded AC_ENABLED equals ``atmospheric_correction``
        (products without L2A_QUALITY.xml count, as in Sen2Cor).
    """
    wanted = set(plan_resolutions)
    if not wanted:
        return None
    for product in find_l2a_products(Path(output_dir), Path(l1c_name).name):
        done = set(processed_resolutions(product))
        if not wanted <= done:
            continue
        recorded = atmospheric_correction_enabled(product) if same_mode else None
        if recorded is not None and recorded != atmospheric_correction:
            log.info("%s holds %s m but was made %s the atmospheric correction; processing again",
                     product.name, "/".join(map(str, sorted(wanted))), "with" if recorded else "without")
            continue
        return product
    return None


# --------------------------------------------------------------------------- interrupted runs
def remove_stale_temporaries(output_dir: Path, *, min_age_s: float | None = None,
                             now_s: float | None = None) -> list[Path]:
    """Delete the temporary product folders of runs that no longer exist (INFO line each); returns them.

    Parameters
    ----------
    output_dir : folder to clean (a missing folder gives []).
    min_age_s : only remove folders unchanged for at least this many seconds. Default: 0 on a local
        file system (the lock is reliable), 6 h on a network one.
    now_s : current time (s since the epoch), for tests.
    """
    return publishing.remove_stale(Path(output_dir), L2A_GLOB, min_age_s=min_age_s, now_s=now_s)
