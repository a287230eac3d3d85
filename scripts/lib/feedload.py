"""The load and the checks of scripts/feed-check: writers that stamp every write with a
token of their own, readers that follow `/v1/events` with cursors, and the comparison of
what the readers logged with the database's events table and the writers' answers.

Every write sets the contacts it touches to `name = <token>`, a string used once, so an
event is tied to the request that made it by `changes.name.new`. Writers of one workspace
share a small pool of emails, so they race on the same contacts; each contact's events must
then chain in the reader's log: every change's `old` is the value the previous event of
that contact left (which holds only if they are in commit order)."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from dataclasses import dataclass, field

from purrserver import Client

POOL = 40  # emails per workspace, shared by its writers
MAX_BULK = 12


@dataclass
class Write:
    token: str
    workspace: str
    kind: str  # bulk | put | delete | unsubscribe | bad-bulk
    items: int = 1
    contact: str | None = None  # for delete


@dataclass
class Outcomes:
    """What the writers were told, shared by all of them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: list[Write] = field(default_factory=list)  # answered 200
    refused: list[Write] = field(default_factory=list)  # answered 4xx: nothing written
    unknown: list[Write] = field(default_factory=list)  # no answer or 5xx

    def add(self, write: Write, status: int | None) -> None:
        with self.lock:
            if status == 200:
                self.acked.append(write)
            elif status is not None and 400 <= status < 500:
                self.refused.append(write)
            else:
                self.unknown.append(write)


class Nodes:
    """The nodes' current addresses (a restarted node listens on a new port)."""

    def __init__(self, servers):
        self.servers = servers

    def client(self, cache: dict, index: int, key: str) -> Client | None:
        addr = self.servers[index % len(self.servers)].addr
        if addr is None:
            return None
        if addr not in cache:
            cache[addr] = Client(addr, key, timeout=30)
        return cache[addr]


def call(nodes: Nodes, cache: dict, index: int, key: str, method: str, path: str, body=None, headers=None):
    """(status, body), or (None, None) when the node did not answer."""
    client = nodes.client(cache, index, key)
    if client is None:
        return None, None
    try:
        status, _, answer = client.request(method, path, body, headers)
        return status, answer
    except (OSError, http.client.HTTPException):
        client.close()
        return None, None


def writer(n: int, workspace: str, key: str, nodes: Nodes, outcomes: Outcomes, stop: threading.Event, seed: float):
    rng = random.Random(seed)
    ids: dict[str, str] = {}  # email -> id, as last answered
    cache: dict = {}
    count = 0
    while not stop.is_set():
        count += 1
        node = n + count
        token = f"w{n}-{count}"
        roll = rng.random()
        emails = rng.sample([f"p{i}@feed.example" for i in range(POOL)], rng.randint(1, MAX_BULK))
        known = sorted(e for e in emails if e in ids)
        if roll < 0.35 or not known:
            items = [{"email": e, "name": token} for e in emails]
            write = Write(token, workspace, "bulk", len(items))
            status, answer = call(nodes, cache, node, key, "POST", "/v1/contacts", {"newsletter_id": workspace, "contacts": items})
            if status == 200:
                for item, result in zip(items, answer["results"]):
                    ids[item["email"]] = result["id"]
        elif roll < 0.45:
            # A request refused whole: one bad item fails the batch, nothing is written.
            # Either the item is malformed (refused before any SQL), or it names a contact id
            # that does not exist (refused by the plan inside the transaction, rolled back).
            bad = {"email": "not an email"} if rng.random() < 0.5 else {"id": f"con_{'x' * 21}", "email": f"x{count}@feed.example"}
            items = [{"email": e, "name": token} for e in emails] + [{**bad, "name": token}]
            write = Write(token, workspace, "bad-bulk", len(items))
            status, _ = call(nodes, cache, node, key, "POST", "/v1/contacts", {"newsletter_id": workspace, "contacts": items})
        elif roll < 0.75:
            email = known[0]
            body = {"email": email, "name": token, "subscribed": rng.random() < 0.7}
            write = Write(token, workspace, "put", 1)
            status, _ = call(nodes, cache, node, key, "PUT", f"/v1/contacts/{ids[email]}", body)
        elif roll < 0.85:
            email = known[0]
            write = Write(token, workspace, "delete", 0, contact=ids[email])
            status, _ = call(nodes, cache, node, key, "DELETE", f"/v1/contacts/{ids[email]}")
        else:
            email = known[0]
            write = Write(token, workspace, "unsubscribe", 0)
            status, contact = call(nodes, cache, node, key, "GET", f"/v1/contacts/{ids[email]}")
            if status == 200:
                status, _ = call(
                    nodes, cache, node + 1, None, "POST", f"/u/{contact['unsub_token']}", b"List-Unsubscribe=One-Click",
                    {"Content-Type": "application/x-www-form-urlencoded"},
                )
        outcomes.add(write, status)
        if status is None or status >= 500:
            time.sleep(0.05)  # a node or the database is down: try another node shortly


@dataclass
class Reader:
    """Follows one workspace's feed through the nodes in turn, from its own cursor."""

    n: int
    workspace: str
    log: list[dict] = field(default_factory=list)
    cursor: str = ""
    caught_up: bool = False
    errors: list[str] = field(default_factory=list)

    def run(self, key: str, nodes: Nodes, writers_done: threading.Event, done: threading.Event, seed: float):
        rng = random.Random(seed)
        cache: dict = {}
        page = 0
        while not done.is_set():
            page += 1
            limit = rng.choice([1, 3, 10, 50, 200])
            path = f"/v1/events?newsletter_id={self.workspace}&limit={limit}&after={self.cursor}"
            finished_before = writers_done.is_set()
            status, body = call(nodes, cache, self.n + page, key, "GET", path)
            if status != 200:
                if status is not None and status < 500:
                    self.errors.append(f"reader {self.n}: {path} answered {status}: {body}")
                time.sleep(0.05)
                continue
            self.log.extend(body["data"])
            self.cursor = body["next_cursor"]
            self.caught_up = finished_before and not body["data"] and not body["has_more"]
            if not body["data"]:
                time.sleep(0.02)


def check_chains(events: list[dict], who: str) -> list[str]:
    """Each contact's events must chain: every `old` is what the previous event left."""
    state: dict[str, dict | None] = {}
    problems = []
    for e in events:
        contact, kind, changes = e["contact_id"], e["type"], e["changes"]
        current = state.get(contact)
        if kind == "created":
            if current is not None:
                problems.append(f"{who}: {contact} created again at {e['id']} while it exists")
            state[contact] = {f: c["new"] for f, c in changes.items()}
            continue
        if current is None:
            problems.append(f"{who}: event {e['id']} ({kind}) of {contact} before its creation")
            continue
        for f, c in changes.items():
            if current.get(f) != c["old"]:
                problems.append(
                    f"{who}: event {e['id']} ({kind}) of {contact}: {f} was {current.get(f)!r}, event says old {c['old']!r}"
                )
            current[f] = c["new"]
        if kind == "deleted":
            state[contact] = None
    return problems


def check(workspace: str, stored: list[dict], readers: list[Reader], outcomes: Outcomes) -> list[str]:
    """Compares every reader of `workspace` with the events table (`stored`: seq, contact,
    kind, name, in feed order) and with what the writers were answered."""
    problems: list[str] = []
    by_seq = {str(e["seq"]): e for e in stored}
    for reader in readers:
        who = f"reader {reader.n} ({workspace})"
        ids = [e["id"] for e in reader.log]
        if len(ids) != len(set(ids)):
            dupes = sorted({i for i in ids if ids.count(i) > 1})[:5]
            problems.append(f"{who}: events served twice: {dupes}")
        missing = set(by_seq) - set(ids)
        extra = set(ids) - set(by_seq)
        if missing:
            problems.append(f"{who}: {len(missing)} committed events never served, e.g. {sorted(missing)[:5]}")
        if extra:
            problems.append(f"{who}: {len(extra)} events served that the table does not hold, e.g. {sorted(extra)[:5]}")
        for e in reader.log:
            row = by_seq.get(e["id"])
            if row and (row["contact"], row["kind"]) != (e["contact_id"], e["type"]):
                problems.append(f"{who}: event {e['id']} served as {e['type']} of {e['contact_id']}, stored as {row}")
        problems += check_chains(reader.log, who)
    names: dict[str, int] = {}
    for e in stored:
        if e["name"] is not None:
            names[e["name"]] = names.get(e["name"], 0) + 1
    deleted = {e["contact"] for e in stored if e["kind"] == "deleted"}
    for w in (w for w in outcomes.acked if w.workspace == workspace):
        if w.kind in ("bulk", "put") and names.get(w.token, 0) != w.items:
            problems.append(f"acknowledged {w.kind} {w.token}: {names.get(w.token, 0)} events of {w.items}")
        if w.kind == "delete" and w.contact not in deleted:
            problems.append(f"acknowledged delete of {w.contact}: no deleted event")
    for w in (w for w in outcomes.refused if w.workspace == workspace and w.kind in ("bulk", "bad-bulk", "put")):
        if w.token in names:
            problems.append(f"refused {w.kind} {w.token}: {names[w.token]} events recorded")
    for w in (w for w in outcomes.unknown if w.workspace == workspace and w.kind == "bulk"):
        if names.get(w.token, 0) not in (0, w.items):
            problems.append(f"unanswered bulk {w.token}: {names[w.token]} events of {w.items} (half applied)")
    return problems


def stored_events(db, workspace: str) -> list[dict]:
    """The events table of one workspace, in feed order."""
    sql = (
        "SELECT COALESCE(json_agg(json_build_object('seq', seq, 'contact', contact_id, 'kind', kind, "
        "'name', changes::json->'name'->>'new') ORDER BY feed_xid, seq), '[]') "
        f"FROM contact_events WHERE workspace_id = '{workspace}'"
    )
    return json.loads(db.psql(sql, url=db.url))
