"""A schemathesis check for the writes whose answer depends on stored data.

A schema cannot say "this id must exist" or "the merged custom_fields must stay under 100
keys and 16 KiB": a body can be valid by the schema and still be refused because of what is
already stored. This check is the built-in positive_data_acceptance with exactly those
reasons allowed: a 400 whose every error is `contact_not_found` (a bulk item naming an id
that does not exist) or a custom-field limit reached by the merge; a 412 (the contact is no
longer at the `If-Match` version) and a 422 `idempotency_key_reused` (the key was used
earlier with another body), both answers about stored state. Any other 400 on valid
data fails, as in the built-in check."""

import json
import re

import schemathesis

CHECKED = {("POST", "/v1/contacts"), ("PUT", "/v1/contacts/{id}")}
STORED_STATE_CODES = {"contact_not_found", "idempotency_key_reused"}
LIMIT_MESSAGES = ("at most 100 keys", "at most 16 KiB")
ALLOWED = ("2", "3")


def _stored_data_reason(error: dict) -> bool:
    code = error.get("code")
    if code in STORED_STATE_CODES:
        return True
    return code == "invalid_custom_fields" and any(m in error.get("message", "") for m in LIMIT_MESSAGES)


def _header_breaks_its_pattern(case, name: str) -> bool:
    """Whether the request's header `name` does not match the pattern the spec declares for
    it: the coverage phase sometimes sends such values as if they were valid, and then the
    request was not schema-valid after all."""
    value = (case.headers or {}).get(name)
    for parameter in case.operation.definition.raw.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name", "").lower() == name.lower():
            pattern = parameter.get("schema", {}).get("pattern")
            return value is not None and pattern is not None and re.search(pattern, str(value)) is None
    return False


@schemathesis.check
def purrlist_positive_data_acceptance(ctx, response, case):
    if (case.method.upper(), case.operation.path) not in CHECKED:
        return None
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if str(status)[0] in ALLOWED or status in (401, 403, 404, 409, 412, 429) or status >= 500:
        return None
    if status == 400:
        try:
            body = json.loads(response.content)
        except ValueError:
            body = {}
        errors = body.get("details") if body.get("code") == "invalid_contacts" else [body]
        if errors and all(_stored_data_reason(e) for e in errors):
            return None
        if body.get("code") == "invalid_header" and _header_breaks_its_pattern(case, body.get("field", "")):
            return None
    if status == 422:
        try:
            body = json.loads(response.content)
        except ValueError:
            body = {}
        errors = [body]
        if errors and all(_stored_data_reason(e) for e in errors):
            return None
    raise AssertionError(
        f"Schema-valid request rejected with {status} for a reason other than stored data: "
        f"{response.content[:500]!r}"
    )
