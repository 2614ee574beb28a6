"""Tables layer (Sen2Cor's L2A_Tables): HDF5 databases, radiometric codecs, resampling,
region of interest and the image writers of the L2A product. See docs/tables.md."""
from sen2cor.tables.roi import Roi, roi_from_config
from sen2cor.tables.store import Database, database_dirs, open_databases

__all__ = ["Database", "Roi", "database_dirs", "open_databases", "roi_from_config"]
