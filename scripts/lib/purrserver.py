"""Shared by the reliability scripts: build and start the real purrlist binary on a
throw-away database (SQLite file or PostgreSQL database), make keys with its CLI, and
talk HTTP to it. Python 3.11 standard library only."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
POSTGRES_ADMIN_URL = os.environ.get(
    "PURRLIST_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def build_binary(release: bool) -> str:
    """Builds the server with cargo (a no-op when up to date) and returns its path."""
    args = ["cargo", "build", "--quiet", "--bin", "purrlist"]
    if release:
        args.append("--release")
    subprocess.run(args, cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release" if release else "debug", "purrlist")


class Database:
    """A fresh database for one run: a SQLite file in a temp dir, or a new PostgreSQL database."""

    def __init__(self, backend: str, workdir: str, admin_url: str = POSTGRES_ADMIN_URL):
        self.backend = backend
        if backend == "sqlite":
            self.path = os.path.join(workdir, "purrlist.db")
            self.url = f"sqlite://{self.path}"
        elif backend == "postgres":
            self.name = f"purrlist_rel_{uuid.uuid4().hex[:12]}"
            self.admin_url = admin_url
            base = admin_url.rsplit("/", 1)[0]
            self.url = f"{base}/{self.name}"
            self.psql(f'CREATE DATABASE "{self.name}"')
        else:
            raise SystemExit(f"unknown backend {backend!r} (sqlite or postgres)")

    def psql(self, sql: str, url: str | None = None) -> str:
        out = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url or self.admin_url, "-c", sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    def drop(self) -> None:
        if self.backend == "postgres":
            try:
                self.psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            except subprocess.CalledProcessError as e:
                log(f"could not drop {self.name}: {e.stderr.strip()}")


class Server:
    """One purrlist process. `start()` waits until it prints its listening line."""

    def __init__(
        self, binary: str, database_url: str, log_path: str, env: dict | None = None, nofile: int | None = None
    ):
        self.binary = binary
        self.nofile = nofile  # RLIMIT_NOFILE for the server process, as `ulimit -n` would set it
        self.database_url = database_url
        self.log_path = log_path
        self.env = dict(os.environ)
        self.env.setdefault("PURRLIST_KEY_CACHE_SECONDS", "0")
        self.env.update(env or {})
        self.proc: subprocess.Popen | None = None
        self.addr: str | None = None
        self.first_key: str | None = None
        self.first_workspace: str | None = None

    def start(self, timeout: float = 60.0) -> None:
        log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--database", self.database_url, "serve", "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=self.env,
            text=True,
            preexec_fn=self._limit_files if self.nofile else None,
        )
        log_file.close()
        ready = threading.Event()

        def read_stdout() -> None:
            assert self.proc and self.proc.stdout
            for line in self.proc.stdout:
                text = line.strip()
                if text.startswith("api key:"):
                    self.first_key = text.split()[-1]
                elif text.startswith("workspace:"):
                    self.first_workspace = text.split()[-1]
                elif text.startswith("purrlist listening on http://"):
                    self.addr = text.rsplit("/", 1)[-1]
                    ready.set()

        threading.Thread(target=read_stdout, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.05):
            if self.proc.poll() is not None:
                raise RuntimeError(f"purrlist exited with {self.proc.returncode}; see {self.log_path}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"purrlist did not start within {timeout}s; see {self.log_path}")

    def _limit_files(self) -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

    @property
    def pid(self) -> int:
        assert self.proc
        return self.proc.pid

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait()

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def cli(self, *args: str) -> str:
        return cli(self.binary, self.database_url, *args)

    def client(self, key: str | None = None, timeout: float = 60.0) -> "Client":
        assert self.addr
        return Client(self.addr, key, timeout)


def cli(binary: str, database_url: str, *args: str) -> str:
    """Runs a purrlist command and returns the last line it printed."""
    env = dict(os.environ)
    out = subprocess.run(
        [binary, "--database", database_url, *args], check=True, capture_output=True, text=True, env=env
    )
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


class Client:
    """A keep-alive HTTP/1.1 connection; reconnects after a failure."""

    def __init__(self, addr: str, key: str | None, timeout: float):
        host, port = addr.rsplit(":", 1)
        self.host, self.port, self.key, self.timeout = host, int(port), key, timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body=None, headers: dict | None = None):
        """Returns (status, headers as a lower-cased dict, parsed JSON or None)."""
        all_headers = {"Accept": "application/json"}
        if self.key:
            all_headers["Authorization"] = f"Bearer {self.key}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=data, headers=all_headers)
            response = self.conn.getresponse()
            raw = response.read()
        except Exception:
            self.close()
            raise
        parsed = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw.decode(errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def workdir(prefix: str) -> str:
    return tempfile.mkdtemp(prefix=prefix)


def remove(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def fail(message: str) -> None:
    log(f"FAIL: {message}")
    sys.exit(1)
