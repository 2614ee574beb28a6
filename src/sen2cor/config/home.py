"""SEN2COR_HOME: the user's configuration and log folder (manual §3.2.1, config facts §7.5).

Search order: the ``home`` argument, the ``SEN2COR_HOME`` environment variable, ``~/sen2cor/2.12``.
On the first run the packaged ``cfg/L2A_GIPP.xml`` is copied to ``$SEN2COR_HOME/cfg/``; an
existing file there is never replaced, so user edits survive upgrades and reruns.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from sen2cor.errors import ConfigError
from sen2cor.config.resources import cfg_dir

log = logging.getLogger(__name__)

#: Default home folder, as created by the Sen2Cor 2.12 installers.
DEFAULT_HOME = Path("~") / "sen2cor" / "2.12"
USER_GIPP = "L2A_GIPP.xml"


def resolve_home(home: Path | str | None = None) -> Path:
    """The Sen2Cor home folder (absolute; not created here)."""
    if home is None:
        home = os.environ.get("SEN2COR_HOME") or DEFAULT_HOME
    return Path(home).expanduser().resolve()


def ensure_user_gipp(home: Path) -> Path | None:
    """Copy the packaged L2A_GIPP.xml to ``home/cfg`` unless a file is already there.

    The copy is written to a temporary file in the same folder and linked into place, which
    fails instead of overwriting when another process created the file meanwhile. Returns the
    user GIPP path, or None (with a warning) when ``home`` cannot be written: the run then uses
    the packaged defaults.
    """
    target = home / "cfg" / USER_GIPP
    if target.exists():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".L2A_GIPP.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        log.warning("cannot create %s (%s); using the packaged L2A_GIPP.xml", target.parent, exc)
        return None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open(cfg_dir() / USER_GIPP, "rb") as src:
            shutil.copyfileobj(src, out)
        tmp.chmod(0o644)  # mkstemp creates 0600; the user GIPP is an ordinary, shareable file
        _link_without_overwrite(tmp, target)
    except OSError as exc:
        log.warning("cannot write %s (%s); using the packaged L2A_GIPP.xml", target, exc)
        return target if target.exists() else None
    finally:
        tmp.unlink(missing_ok=True)
    log.info("Copied the default configuration to %s", target)
    return target


def _link_without_overwrite(tmp: Path, target: Path) -> None:
    """Publish ``tmp`` as ``target`` atomically, leaving an existing ``target`` untouched."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        log.debug("%s appeared meanwhile; kept it", target)
    except OSError:  # file system without hard links: rename, after a last existence check
        if not target.exists():
            os.replace(tmp, target)


def find_gipp(option: str, given: Path, home: Path) -> Path:
    """Resolve a --GIP_* value: the path as given (absolute, or relative to the current
    directory), else ``home/cfg/<file name>`` as Sen2Cor does.

    Raises
    ------
    ConfigError
        Neither location holds the file.
    """
    given = Path(given).expanduser()
    if given.is_file():
        return given.resolve()
    if given.is_dir():
        raise ConfigError(f"--{option}: {given} is a directory; expected a GIPP file (e.g. {given}/L2A_GIPP.xml)")
    fallback = home / "cfg" / given.name
    if fallback.is_file():
        return fallback
    raise ConfigError(f"--{option}: GIPP file does not exist: {given} (also looked for {fallback})")
