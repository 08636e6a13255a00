"""The Lianyungang package's scenarios run on a platform serving Lianyungang (processes/lianyungang)."""

import pytest


@pytest.fixture
def city() -> str:
    return "lianyungang"
