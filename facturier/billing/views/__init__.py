"""Billing's pages, one module per area; what several of them share lives here."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def pdf_response(content: bytes, filename: str, *, inline: bool) -> HttpResponse:
    """A PDF as a download, or shown in the browser when `inline`."""
    response = HttpResponse(content, content_type="application/pdf")
    # Non-ASCII file names are encoded as RFC 6266 says.
    disposition = content_disposition_header(not inline, filename)
    if disposition:
        response["Content-Disposition"] = disposition
    return response
