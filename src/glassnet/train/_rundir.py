"""Run folders: every training run gets a folder of its own, so no run overwrites another.

    runs/
      mlp-20261206-130501/        model.safetensors, history.json, results.json, history.png,
        checkpoints/              checkpoint-000001.safetensors, …
      mlp-20261206-130501-2/      a second run started in the same second
      latest -> mlp-20261206-130501-2

:func:`new_run_dir` creates ``<root>/<model>-<YYYYmmdd-HHMMSS>`` (local time), adding
``-2``, ``-3``, … when that name is taken; the folder is created with ``os.mkdir``, which
fails rather than reuse a folder, so two runs started together still get two folders.
:func:`point_latest` then makes ``<root>/latest`` name it: a relative symbolic link where
the system allows one, else a one-line text file holding the folder's name. Either is
written beside ``latest`` under a temporary name and renamed over it (``os.replace``), so
a reader sees the old pointer or the new one, never a missing or half-written one. A
``latest`` that is a real folder (a run of an earlier glassnet, which wrote there) is
left as it is. :func:`resolve_run_dir` follows either kind of pointer.
"""

import os
import time

from glassnet._errors import GlassnetValueError
from glassnet.io._atomic import atomic_write_text

__all__ = ["LATEST", "RUNS_DIR", "new_run_dir", "point_latest", "resolve_run_dir"]

RUNS_DIR = "runs"
LATEST = "latest"
_MAX_SUFFIX = 1000  # runs started in one second under one name before giving up
_POINTER_BYTES = 4096  # a pointer file is one folder name; more is not one


def new_run_dir(model, root=RUNS_DIR, now=None):
    """Create and return ``<root>/<model>-<YYYYmmdd-HHMMSS>[-n]`` (``now``: seconds since the
    epoch, default the current time)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    os.makedirs(root, exist_ok=True)
    for n in range(1, _MAX_SUFFIX + 1):
        path = os.path.join(root, f"{model}-{stamp}" + (f"-{n}" if n > 1 else ""))
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        return path
    raise GlassnetValueError(f"train: {_MAX_SUFFIX} run folders named {model}-{stamp}[-n] already "
                             f"exist in {root}; pass --out DIR")


def point_latest(run_dir):
    """Make ``latest`` beside ``run_dir`` point at it, atomically; returns None, or a line
    saying why ``latest`` was left as it is (it is a real folder)."""
    root, name = os.path.split(os.path.normpath(run_dir))
    latest = os.path.join(root, LATEST)
    if os.path.isdir(latest) and not os.path.islink(latest):
        return (f"{latest} is a folder (a run of an earlier glassnet) and is left as it is; "
                f"this run is {run_dir}")
    temporary = os.path.join(root, f".{LATEST}-{os.getpid()}-{time.monotonic_ns()}")
    try:
        os.symlink(name, temporary, target_is_directory=True)
    except (OSError, NotImplementedError):  # no symbolic links here: a text file names the run
        atomic_write_text(latest, name + "\n")
        return None
    try:
        os.replace(temporary, latest)
    except OSError:
        os.remove(temporary)
        raise
    return None


def resolve_run_dir(path):
    """``path``, or the run folder it names when it is a ``latest`` text pointer (a
    symbolic link needs nothing: the system follows it)."""
    path = os.fspath(path)
    if os.path.isfile(path) and os.path.basename(os.path.normpath(path)) == LATEST:
        with open(path, encoding="utf-8") as f:
            name = f.read(_POINTER_BYTES).strip()
        if not name or os.sep in name or (os.altsep and os.altsep in name) or name in (".", ".."):
            raise GlassnetValueError(f"--resume {path}: expected the name of a run folder in it, got "
                                     f"{name[:80]!r}")
        return os.path.join(os.path.dirname(path), name)
    return path
