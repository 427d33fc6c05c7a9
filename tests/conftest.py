from pathlib import Path

import pytest

# Real services for the tests that need them: a PostgreSQL server (fixtures_postgres)
# and a local Spark session (fixtures_spark).
pytest_plugins = ["fixtures_postgres", "fixtures_spark"]

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "fixtures"


def corpus_files(kind: str) -> list[Path]:
    """Files of ../shared/corpus/<kind>/ (837p, 835, invalid), sorted; empty when absent."""
    folder = CORPUS / kind
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside the checkout")
    return CORPUS
