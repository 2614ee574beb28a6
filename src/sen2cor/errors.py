"""Exception tree. Callers may catch ours or the builtin each one also derives from."""
import signal


class Sen2CorError(Exception):
    """Base of every error the processor reports; the CLI turns it into exit code 1."""


class ConfigError(Sen2CorError, ValueError):
    """A GIPP file or a command-line option is invalid (names file, element, value, allowed values)."""


class ProductError(Sen2CorError):
    """The input product is not a usable Level-1C (or L2A datastrip) product."""


class ProductReadError(ProductError, OSError):
    """A file of the product is missing, unreadable or corrupt."""


class MissingBandError(ProductError, KeyError):
    """A band was requested that has not been staged or does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class OutputError(Sen2CorError, OSError):
    """The output product cannot be written (permissions, disk full, ...)."""


class DemError(Sen2CorError):
    """The DEM could not be found, fetched or prepared (fatal with Force_Exit_On_DEM_Error TRUE)."""


class LutError(Sen2CorError):
    """Radiative-transfer look-up tables are missing or inconsistent."""


class AuxDataError(Sen2CorError):
    """An auxiliary map (ESA-CCI land cover, water bodies, snow condition, snow climatology) is unusable."""


class UsageError(Sen2CorError):
    """A command-line option (or API keyword) is missing, malformed or combined with one it excludes."""


class Interrupted(KeyboardInterrupt):
    """The run received SIGINT or SIGTERM (a KeyboardInterrupt, so every clean-up path handles it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    def __str__(self) -> str:
        name = signal.Signals(self.signum).name
        cause = "interrupted by the user" if self.signum == signal.SIGINT else "terminated"
        return f"{cause} ({name}); the unfinished output was removed"
