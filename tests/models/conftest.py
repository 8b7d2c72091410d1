import pytest
from model_scenario import Scenario


@pytest.fixture
def scenario(tmp_path):
    built = Scenario(tmp_path / "work.duckdb")
    yield built
    built.con.close()
