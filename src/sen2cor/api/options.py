"""Options of one run as ``L2A_Process`` takes them: defaults and the cross-option rules (manual §3.3).

Single values are checked by :class:`sen2cor.config.RunOptions` itself; here the rules that involve
several options, and the defaults that depend on another option (``--output_dir``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from sen2cor.config.options import RunOptions
from sen2cor.errors import UsageError

#: Options that name files or folders: an empty value is refused (it would silently mean ".").
PATH_OPTIONS = ("input_dir", "datastrip", "tile", "output_dir", "work_dir", "img_database_dir",
                "res_database_dir", "GIP_L2A", "GIP_L2A_SC", "GIP_L2A_AC", "GIP_L2A_PB")


def as_run_options(options: RunOptions | Mapping[str, object] | object) -> RunOptions:
    """RunOptions from RunOptions itself, a mapping of option names, or an argparse Namespace.

    Raises UsageError for an empty path, ConfigError for a single invalid value (e.g. ``resolution=30``)
    and TypeError for a name that is not an option of L2A_Process.
    """
    if isinstance(options, RunOptions):
        return options
    values = options if isinstance(options, Mapping) else vars(options)
    for name in PATH_OPTIONS:
        value = values.get(name)
        if value is not None and not str(value).strip():
            option = name if name == "input_dir" else f"--{name}"
            raise UsageError(f"{option} is empty; expected a path (use '.' for the current directory)")
    if isinstance(options, Mapping):
        return RunOptions(**options)
    return RunOptions.from_namespace(options)


def prepare_options(options: RunOptions, cwd: Path | None = None) -> RunOptions:
    """Absolute paths (relative ones against ``cwd``, default the current directory, as Sen2Cor) and
    ``output_dir`` defaulting to the parent directory of ``input_dir``."""
    options = options.resolve_paths(cwd)
    if options.output_dir is None and options.input_dir is not None:
        options = replace(options, output_dir=Path(options.input_dir).parent)
    return options


def check_options(options: RunOptions) -> None:
    """Cross-option rules of the command line; raises UsageError naming the options."""
    if options.mode is None:
        if options.input_dir is None:
            raise UsageError("input_dir is mandatory in Toolbox mode (no --mode given)")
    elif options.mode == "generate_datastrip":
        missing = [f"--{n}" for n in ("datastrip", "processing_centre", "archiving_centre", "output_dir")
                   if getattr(options, n) is None]
        if missing:
            raise UsageError(f"--mode generate_datastrip requires {', '.join(missing)}")
    elif options.mode == "process_tile":
        missing = [f"--{n}" for n in ("datastrip", "tile", "output_dir") if getattr(options, n) is None]
        if missing:
            raise UsageError(f"--mode process_tile requires {', '.join(missing)}")
    check_exclusive(options)


def check_exclusive(options: RunOptions) -> None:
    """Options that exclude each other (whatever the mode); raises UsageError naming them."""
    if options.raw and (options.tif or options.cog):
        raise UsageError(f"--raw and --{'tif' if options.tif else 'cog'} are exclusive: choose one image export "
                         f"format")
    if options.sc_only and options.cr_only:
        raise UsageError("--sc_only and --cr_only are exclusive: --cr_only creates the product tree only, "
                         "--sc_only also runs the scene classification")
