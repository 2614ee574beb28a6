"""Generator of synthetic Sentinel-2 Level-1C test products with ground truth (``sen2cor-make-l1c``).

    from sen2cor.testing import make_l1c
    safe = make_l1c("/tmp/products", size_px=600, seed=0, spacecraft="S2A", scene="mixed")

See docs/test_products.md.
"""
from sen2cor.testing.product import GeneratorOptions, generate, make_l1c
from sen2cor.testing.scene import SCENE_KINDS, SceneOptions
from sen2cor.testing.truth import read_truth

__all__ = ["GeneratorOptions", "SCENE_KINDS", "SceneOptions", "generate", "make_l1c", "read_truth"]
