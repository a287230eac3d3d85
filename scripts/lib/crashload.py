"""The write load of scripts/crash-test and the model that checks it.

Each worker owns its own contacts (emails w{worker}-c{n}@crash.example), so its writes to a
contact are sequential and "the last write answered 200" is well defined. Every write stamps
the contacts it touches with a token unique to that request (name and custom_fields.w), so
after a crash each contact must show the token of its last acknowledged write, or of the one
write that was in flight when the server died; and the in-flight bulk request must be found
either on every contact it touched or on none."""

from __future__ import annotations

import http.client
import random
import threading
from dataclasses import dataclass, field

from purrserver import Client

MAX_CONTACTS_PER_WORKER = 150
MAX_BULK_ITEMS = 40


@dataclass
class Stamp:
    token: str
    subscribed: bool


@dataclass
class InFlight:
    """A request sent but not answered when the server died: it may or may not be applied."""

    token: str
    subscribed: bool
    emails: list[str]
    is_bulk: bool


@dataclass
class Worker:
    index: int
    rng: random.Random
    workspace: str
    known: dict[str, Stamp] = field(default_factory=dict)  # email -> last acknowledged stamp
    ids: dict[str, str] = field(default_factory=dict)  # email -> contact id
    next_contact: int = 0
    requests: int = 0
    acknowledged: int = 0
    in_flight: InFlight | None = None

    def email(self, n: int) -> str:
        return f"w{self.index}-c{n}@crash.example"

    def token(self) -> str:
        self.requests += 1
        return f"w{self.index}-r{self.requests}"

    def next_request(self) -> tuple[str, str, dict, InFlight]:
        """Method, path, body and what it writes."""
        token = self.token()
        subscribed = self.rng.random() < 0.5
        stamp = {"name": token, "subscribed": subscribed, "custom_fields": {"w": token}}
        if self.ids and self.rng.random() < 0.3:
            email = self.rng.choice(sorted(self.ids))
            body = {"email": email, **stamp}
            return "PUT", f"/v1/contacts/{self.ids[email]}", body, InFlight(token, subscribed, [email], False)
        count = self.rng.randint(1, MAX_BULK_ITEMS)
        emails: list[str] = []
        existing = sorted(self.known)
        for _ in range(count):
            new = self.next_contact < MAX_CONTACTS_PER_WORKER and (not existing or self.rng.random() < 0.3)
            if new:
                emails.append(self.email(self.next_contact))
                self.next_contact += 1
            else:
                candidate = self.rng.choice(existing)
                if candidate not in emails:
                    emails.append(candidate)
        items = []
        for email in emails:
            item = {"email": email, **stamp}
            if email in self.ids and self.rng.random() < 0.3:
                item["id"] = self.ids[email]
            items.append(item)
        return "POST", "/v1/contacts", {"newsletter_id": self.workspace, "contacts": items}, InFlight(token, subscribed, emails, True)

    def run(self, client: Client, stop: threading.Event, errors: list[str]) -> None:
        """Writes until the server stops answering (or `stop` is set)."""
        while not stop.is_set():
            method, path, body, write = self.next_request()
            self.in_flight = write
            try:
                status, _, answer = client.request(method, path, body)
            except (OSError, http.client.HTTPException):
                client.close()
                return  # the server died with this request in flight
            self.in_flight = None
            if status != 200:
                errors.append(f"worker {self.index}: {method} {path} answered {status}: {answer}")
                stop.set()
                return
            self.acknowledged += 1
            for email in write.emails:
                self.known[email] = Stamp(write.token, write.subscribed)
            if method == "POST":
                for item, result in zip(body["contacts"], answer["results"]):
                    self.ids[item["email"]] = result["id"]


def verify(workers: list[Worker], stored: dict[str, dict]) -> list[str]:
    """Compares what the server has (email -> contact) with every worker's model, then
    folds the outcome of each in-flight request into the model. Returns the problems."""
    problems: list[str] = []
    for worker in workers:
        flight = worker.in_flight
        applied_flags = []
        for email in flight.emails if flight else []:
            contact = stored.get(email)
            applied_flags.append(contact is not None and contact["name"] == flight.token)
        if flight and flight.is_bulk and any(applied_flags) and not all(applied_flags):
            problems.append(
                f"bulk request {flight.token} is half-applied: {sum(applied_flags)} of {len(applied_flags)} contacts"
            )
        applied = bool(applied_flags) and all(applied_flags)
        for email, stamp in worker.known.items():
            contact = stored.get(email)
            in_flight_here = flight is not None and email in flight.emails
            if contact is None:
                problems.append(f"{email}: acknowledged write {stamp.token} lost (contact missing)")
                continue
            expected = {stamp.token} | ({flight.token} if in_flight_here else set())
            if contact["name"] not in expected or contact["custom_fields"].get("w") != contact["name"]:
                problems.append(
                    f"{email}: has {contact['name']!r}/{contact['custom_fields']}, expected one of {sorted(expected)}"
                )
                continue
            subscribed = flight.subscribed if contact["name"] == (flight.token if flight else None) else stamp.subscribed
            if contact["subscribed"] != subscribed:
                problems.append(f"{email}: subscribed is {contact['subscribed']}, expected {subscribed}")
        if flight and applied:
            for email in flight.emails:
                worker.known[email] = Stamp(flight.token, flight.subscribed)
                worker.ids[email] = stored[email]["id"]
        if flight and not applied:
            for email in flight.emails:
                contact = stored.get(email)
                if email not in worker.known and contact is not None:
                    problems.append(f"{email}: exists though its only write {flight.token} was not applied")
        worker.in_flight = None
    owned = {email for w in workers for email in w.known}
    for email in stored:
        if email not in owned:
            problems.append(f"{email}: stored but never written (or written by a request that was not applied)")
    return problems
