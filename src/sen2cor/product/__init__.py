"""L2A product layer: names and paths (layout), metadata conversion from the L1C, tree writer.

from sen2cor.product import L2ALayout, create_l2a_skeleton, finalise_product, update_quality_indicators
"""

from sen2cor.product.layout import LAYERS, L2ALayout
from sen2cor.product.manifest import write_manifest
from sen2cor.product.metadata import MetadataContext, update_quality_indicators
from sen2cor.product.writer import (
    already_processed,
    boa_offset_for,
    create_l2a_skeleton,
    discard_product,
    finalise_product,
    find_l2a_products,
    processed_resolutions,
    publish_product,
    refresh_file_lists,
    stale_temporaries,
)

__all__ = [
    "LAYERS",
    "L2ALayout",
    "MetadataContext",
    "already_processed",
    "boa_offset_for",
    "create_l2a_skeleton",
    "discard_product",
    "finalise_product",
    "find_l2a_products",
    "processed_resolutions",
    "publish_product",
    "refresh_file_lists",
    "stale_temporaries",
    "update_quality_indicators",
    "write_manifest",
]
