"""Suite-wide settings.

Tests run in parallel (``pytest -n 2``) on small machines; a BLAS pool of several threads
per worker then oversubscribes the cores and small matrix products slow down by orders of
magnitude. Each worker, and every subprocess a test starts, uses one BLAS thread.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # threadpoolctl comes with scikit-learn (the test extra)
    pass
else:
    threadpool_limits(1)


# -- the suite leaves the repository as it found it (tests write under tmp_path only) --------
_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_IGNORED_DIRS = {".git", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", "build", "dist"}


def _repository_files():
    found = set()
    for root, dirs, files in os.walk(_REPO):
        dirs[:] = [d for d in dirs if d not in _IGNORED_DIRS and not d.endswith(".egg-info")]
        found.update(os.path.relpath(os.path.join(root, f), _REPO) for f in files)
    return found


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the controller (or a run without xdist)
        session.config._files_before_suite = _repository_files()


def pytest_sessionfinish(session, exitstatus):
    before = getattr(session.config, "_files_before_suite", None)
    if before is None:
        return
    new = sorted(_repository_files() - before)
    if new:
        session.config.get_terminal_writer().line(
            f"FAILED: the test suite left new files in the repository (tests must write under "
            f"tmp_path): {', '.join(new[:10])}", red=True)
        session.exitstatus = 1
