"""Reads a schemathesis NDJSON report and sorts every failed check into the findings that
docs/api.md ("What the fuzzer reports") lists as right, and the rest, which fail the run.

A schema cannot say "this id must exist", "this version must be current" or "this
Idempotency-Key must be new": a request can be valid by the schema and still be refused
because of what is already stored. The built-in check that valid data is accepted then
reports it; those reports are accepted here, and only when the answer names such a
stored-state reason exactly. Anything else (another status, another code, a 5xx, a
schema mismatch, a schemathesis error) is a failure."""

from __future__ import annotations

import base64
import glob
import json
import os
from collections import Counter
from urllib.parse import parse_qs, urlsplit

# Codes that only stored data can cause, inside a 400 (one error or `details` of a bulk).
STORED_DATA_CODES = {"contact_not_found", "email_taken", "invalid_cursor"}
LIMIT_MESSAGES = ("at most 100 keys", "at most 16 KiB")


def _decode(content) -> dict:
    if isinstance(content, dict) and "$base64" in content:
        try:
            return json.loads(base64.b64decode(content["$base64"]))
        except ValueError:
            return {}
    return {}


def _stored_data_error(error: dict) -> bool:
    if error.get("code") in STORED_DATA_CODES:
        return True
    return error.get("code") == "invalid_custom_fields" and any(m in error.get("message", "") for m in LIMIT_MESSAGES)


def _keyset_with_page(uri: str) -> bool:
    """Whether a request to `GET /v1/contacts` sent both `after` and `page`."""
    parts = urlsplit(uri)
    query = parse_qs(parts.query, keep_blank_values=True)
    return parts.path.endswith("/v1/contacts") and "after" in query and "page" in query


def accepted_reason(check: str, interaction: dict) -> str | None:
    """The documented reason this failed check is right, or None."""
    if check != "positive_data_acceptance":
        return None
    request, response = interaction.get("request", {}), interaction.get("response") or {}
    sent = {name.lower() for name in request.get("headers", {})}
    status, body = response.get("status_code"), _decode(response.get("content"))
    code = body.get("code")
    if status == 422 and code == "idempotency_key_reused" and "idempotency-key" in sent:
        return "422 idempotency_key_reused: an Idempotency-Key used before with another request"
    if status == 412 and code == "precondition_failed" and "if-match" in sent:
        return "412 precondition_failed: If-Match names a version the contact is not at"
    if status == 400 and code == "invalid_field" and body.get("field") == "url" and "/v1/webhooks" in request.get("uri", ""):
        return "400 invalid_field url: a webhook target that is not a public http(s) address"
    if status == 400 and code == "invalid_parameter" and body.get("field") == "page" and _keyset_with_page(request.get("uri", "")):
        return "400 invalid_parameter page: `after` with a `page` above 1 (a keyset page has no number)"
    if status == 400:
        errors = body.get("details") if code == "invalid_contacts" else [body]
        if errors and all(_stored_data_error(e) for e in errors):
            return "400 " + ", ".join(sorted({e["code"] for e in errors})) + ": refused because of stored data"
    return None


def classify(report_dir: str) -> tuple[Counter, list[str]]:
    """(accepted findings by reason and operation, descriptions of everything else)."""
    accepted: Counter = Counter()
    failures: list[str] = []
    paths = glob.glob(os.path.join(report_dir, "*.ndjson"))
    if not paths:
        return accepted, [f"no NDJSON report in {report_dir}"]
    for path in paths:
        with open(path) as f:
            for line in f:
                event = json.loads(line)
                kind, payload = next(iter(event.items()))
                if kind in ("NonFatalError", "FatalError", "Interrupted"):
                    failures.append(f"{kind}: {json.dumps(payload)[:500]}")
                if kind != "ScenarioFinished" or payload.get("status") not in ("failure", "error"):
                    continue
                if payload["status"] == "error":
                    failures.append(f"scenario error in {payload.get('recorder', {}).get('label')}")
                recorder = payload["recorder"]
                for case_id, checks in recorder.get("checks", {}).items():
                    interaction = recorder.get("interactions", {}).get(case_id) or {}
                    for check in checks:
                        if check.get("status") != "failure":
                            continue
                        reason = accepted_reason(check["name"], interaction)
                        operation = recorder["cases"].get(case_id, {}).get("value", {})
                        label = f"{operation.get('method', '?')} {operation.get('path', recorder.get('label'))}"
                        if reason:
                            accepted[(reason, label)] += 1
                            continue
                        failure = check.get("failure_info", {}).get("failure", {})
                        response = interaction.get("response") or {}
                        failures.append(
                            f"{label}: {check['name']} ({failure.get('code')} {failure.get('title')}), "
                            f"status {response.get('status_code')}: {json.dumps(_decode(response.get('content')))[:300]}"
                        )
    return accepted, failures


def report(report_dir: str, log) -> bool:
    """Logs the findings; True when every one is accepted."""
    accepted, failures = classify(report_dir)
    for (reason, label), count in sorted(accepted.items()):
        log(f"accepted (docs/api.md): {label}: {reason} ({count}x)")
    for failure in failures:
        log(f"FINDING: {failure}")
    return not failures
