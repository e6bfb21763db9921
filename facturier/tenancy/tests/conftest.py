import pytest

from facturier.billing import demo


@pytest.fixture(autouse=True)
def _no_demo_documents(monkeypatch):
    # The seed_demo tests here cover accounts and users; billing/tests/test_demo.py covers the demo
    # documents, which take most of the command's time.
    monkeypatch.setattr(
        demo, "seed_account", lambda account, business, **kwargs: demo.SeedSummary(account.name, skipped=True)
    )
