"""Nothing a page needs comes from another site: no CDN, no font service (the pages work offline)."""

import re

import pytest
from django.conf import settings

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/api/docs/", "/login/"])
def test_public_pages_load_nothing_from_another_site(client, db, path):
    page = client.get(path, follow=True).content.decode()
    assert not EXTERNAL.findall(page)
    assert "fonts.googleapis" not in page
    assert "fonts.gstatic" not in page


def test_the_layout_loads_only_local_files(owner_client):
    page = owner_client.get("/acme/").content.decode()
    assert not EXTERNAL.findall(page)
    assert f"{settings.STATIC_URL}icons/sprite.svg#" in page
