"""The OpenAPI document at /api/schema/: public, valid, and covering every resource path."""

import yaml
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def test_the_schema_is_served_without_a_token(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert {"/clients.json", "/clients/{id}.json", "/products.json", "/categories.json"} <= set(
        document["paths"]
    )
    assert client.get("/api/schema/?format=json").json()["openapi"].startswith("3.")


def test_the_schema_is_valid_openapi(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    security = schema["paths"]["/clients.json"]["get"]["security"]
    assert security == [{"apiTokenQuery": []}, {"bearer": []}]


def test_the_documentation_page_reads_the_schema_with_local_scripts_only(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/api/schema/" in page
    assert "/static/drf_spectacular_sidecar/redoc/" in page
    assert "cdn" not in page.lower()
