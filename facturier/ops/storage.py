"""The object store settings: an S3-compatible bucket through django-storages (settings.STORAGES)."""


def s3_storage(bucket: str, endpoint_url: str, region: str, location: str = "") -> dict[str, object]:
    """STORAGES["default"] for a private bucket (endpoint_url empty: AWS itself; `location`: a prefix)."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,  # None: AWS itself
            "region_name": region or None,
            "location": location,  # a prefix inside the bucket
            "default_acl": None,  # the bucket's own policy (private)
            "file_overwrite": False,  # a second file of the same name gets its own name, as on disk
            "querystring_auth": True,
            "querystring_expire": 3600,
        },
    }
