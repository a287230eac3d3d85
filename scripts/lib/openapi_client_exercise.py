"""Uses a client that openapi-python-client generated from /v1/openapi.json against a
running purrlist, the way an integrator would: health, a bulk create with every writable
field as a constructor argument, a read-back, an update by id, the change feed, and an
error answer parsed into ErrorBody. Run with the tools' virtualenv (httpx, attrs):

    python openapi_client_exercise.py GENERATED_DIR BASE_URL API_KEY"""

import sys

sys.path.insert(0, sys.argv[1])
# The generated package (named after the document's title).
from purrlist_client import AuthenticatedClient, Client  # noqa: E402
from purrlist_client.api.contacts import get_contact, upsert_contacts  # noqa: E402
from purrlist_client.api.events import list_events  # noqa: E402
from purrlist_client.api.operations import healthz, readyz  # noqa: E402
from purrlist_client.models import (  # noqa: E402
    Alive,
    BulkContactByEmail,
    BulkContactById,
    BulkRequest,
    BulkResponse,
    ContactBody,
    CustomFieldsMap,
    ErrorBody,
    EventPage,
    Ready,
)


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"generated client: {what}")
    print(f"  ok: {what}")


def main() -> None:
    base_url, key = sys.argv[2], sys.argv[3]
    public = Client(base_url=base_url, raise_on_unexpected_status=True)
    alive = healthz.sync(client=public)
    expect(isinstance(alive, Alive) and alive.status == "ok", "/healthz parses into Alive")
    ready = readyz.sync(client=public)
    expect(isinstance(ready, Ready) and ready.status == "ready", "/readyz parses into Ready")

    client = AuthenticatedClient(base_url=base_url, token=key, raise_on_unexpected_status=True)
    fields = CustomFieldsMap.from_dict({"plan": "pro", "seats": 3, "trial": False})
    item = BulkContactByEmail(
        email="client@example.com",
        name="Ada Lovelace",
        first_name="Ada",
        last_name="Lovelace",
        subscribed=False,
        custom_fields=fields,
    )
    created = upsert_contacts.sync(client=client, body=BulkRequest(contacts=[item]))
    expect(isinstance(created, BulkResponse) and created.created == 1, "bulk create answers BulkResponse")
    contact_id = created.results[0].id

    contact = get_contact.sync(contact_id, client=client)
    expect(isinstance(contact, ContactBody), "read back parses into ContactBody")
    got = (contact.email, contact.name, contact.first_name, contact.last_name, contact.subscribed)
    expect(got == ("client@example.com", "Ada Lovelace", "Ada", "Lovelace", False), f"fields read back: {got}")
    expect(contact.custom_fields.to_dict() == {"plan": "pro", "seats": 3, "trial": False}, "custom fields read back")

    by_id = BulkContactById(id=contact_id, name="Ada King", subscribed=True)
    updated = upsert_contacts.sync(client=client, body=BulkRequest(contacts=[by_id]), idempotency_key="exercise-1")
    expect(isinstance(updated, BulkResponse) and updated.updated == 1, "bulk update by id")
    again = get_contact.sync(contact_id, client=client)
    expect((again.name, again.first_name, again.subscribed) == ("Ada King", "Ada", True), "update by id kept the rest")

    feed = list_events.sync(client=client, contact_id=contact_id)
    expect(isinstance(feed, EventPage) and len(feed.data) == 2, "the contact's change feed has its two writes")

    missing = get_contact.sync("con_" + "A" * 21, client=client)
    expect(isinstance(missing, ErrorBody) and missing.code == "contact_not_found", "a 404 parses into ErrorBody")


if __name__ == "__main__":
    main()
