# Root conftest: loads tests/conftest.py's settings also when pytest collects notebooks/ alone.
from tests.conftest import *  # noqa: F401,F403
