"""Schemathesis hooks for the contract suite (contract/run.sh).

The document says what no schema can in two places, and these hooks keep
the fuzzer to those rules rather than loosen any check:

* An `Idempotency-Key` names one request; the same key with a different
  request is refused (422 `idempotency_key_reused`). A client keeps the rule
  by choosing a new key for each new request, so `before_call` gives every
  request a fresh key (a deliberately malformed key stays as it is, so the
  header's validation is still tested).
* Some refusals of a well-formed request depend on the data the server
  holds or on the bytes of a file, not on the request's form: an author id
  that names no user, a current password that is not the account's, two
  updates of one user in a batch, an upload that is not an image.
  `filter_failure` lets exactly those answers pass the "schema-valid
  request rejected" check, recognised by their status and error message;
  every other refusal still fails it.
"""

import json
import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"[!-~]{1,255}")

# (status, field, message pattern) of the refusals that depend on state.
STATE_DEPENDENT = [
    (422, re.compile(r"authorId"), re.compile(r"no user has this id")),
    (422, re.compile(r"currentPassword"), re.compile(r"this is not your password")),
    (422, re.compile(r"updates\[\d+\]\.id"), re.compile(r"this user is already updated by updates\[\d+\]")),
    (415, None, re.compile(r"the avatar must be a PNG, JPEG or WebP image")),
]


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and VALID_KEY.fullmatch(str(headers[name])):
            headers[name] = uuid.uuid4().hex


def _error(response):
    try:
        return json.loads(response.content)["error"]
    except (ValueError, KeyError, TypeError):
        return None


def _depends_on_state(response):
    error = _error(response)
    if error is None:
        return False
    for status, field, message in STATE_DEPENDENT:
        if response.status_code != status:
            continue
        if field is None:
            if message.search(error.get("message", "")):
                return True
            continue
        details = error.get("details") or {}
        if details and all(
            field.fullmatch(name) and message.fullmatch(text) for name, text in details.items()
        ):
            return True
    return False


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    if failure.code == "ST202" and _depends_on_state(response):
        return False
    return True
