import pytest

import inwise_pandas as inwise


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/system" in str(item.fspath):
            item.add_marker(pytest.mark.system)


@pytest.fixture
def sb():
    with inwise.sandbox(api_key="key-a", api_keys=["key-a", "key-b"]) as running:
        yield running


@pytest.fixture
def client(sb):
    c = sb.client(backoff_factor=0.01)
    yield c
    c.close()
