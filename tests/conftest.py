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
