import pytest
from django.apps import apps


@pytest.fixture(autouse=True)
def _devdata_installed():
    # FACTURIER_DEVDATA=false runs the rest of the suite as production would; these tests need the app's
    # commands, so they say why they did not run instead of failing.
    if not apps.is_installed("facturier.devdata"):
        pytest.skip("facturier.devdata is not installed (FACTURIER_DEVDATA is off)")
