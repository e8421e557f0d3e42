"""Test-session settings (root conftest, so it also covers notebooks/): fast mode, no network, a
throw-away checkpoint cache, the CPU's defaults.

These are set before ``course_utils`` is imported (config reads them at import) and are inherited by
the notebook kernels that nbval starts, so every notebook runs in fast mode and offline.
"""

import os
import tempfile

os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("COURSE_OFFLINE", "1")
os.environ.setdefault("COURSE_CACHE_DIR", tempfile.mkdtemp(prefix="course-cache-"))
