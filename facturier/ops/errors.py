"""What an error report may carry: the error, where it happened and the request's id, never credentials
or the users' data.

Sentry's own scrubbing matches a fixed list of key names ("token", "password"...): the API's
`?api_token=...` and a document's buyer in a JSON body would get through. So the request part of every
event keeps only its method and its URL without the query string; local variables and bodies are never
collected (settings.py).
"""

from sentry_sdk.types import Event, Hint

KEPT_REQUEST_FIELDS = ("method", "url")


def scrub_event(event: Event, hint: Hint) -> Event:
    request = event.get("request")
    if isinstance(request, dict):
        kept = {key: request[key] for key in KEPT_REQUEST_FIELDS if key in request}
        url = kept.get("url")
        if isinstance(url, str):
            kept["url"] = url.split("?", 1)[0]
        event["request"] = kept
    return event
