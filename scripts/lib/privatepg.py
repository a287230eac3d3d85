"""A throw-away PostgreSQL cluster in a temp dir, so a test may crash the database (SIGKILL
to the postmaster) without touching the machine's shared server."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import time

from purrserver import log


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise SystemExit(f"{name} not found: install the PostgreSQL server binaries")
    return candidates[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class PrivatePostgres:
    def __init__(self, datadir: str, standby_of: "PrivatePostgres | None" = None):
        """A new cluster in `datadir`; with `standby_of`, a streaming replica of that
        (running) cluster instead, copied with pg_basebackup."""
        self.datadir = datadir
        self.port = _free_port()
        self.admin_url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        # PostgreSQL refuses to run as root; run it as the postgres user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        os.makedirs(datadir, mode=0o700)
        if self.as_user:
            shutil.chown(datadir, "postgres")
            shutil.chown(os.path.dirname(datadir), "postgres")
        if standby_of is None:
            command = [_bin("initdb"), "-D", datadir, "-A", "trust", "-U", "postgres", "--no-sync"]
        else:
            # -R: standby.signal and primary_conninfo, so it starts as a streaming replica.
            command = [_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(standby_of.port), "-U", "postgres"]
            command += ["-D", datadir, "-R", "-X", "stream", "-c", "fast", "--no-sync"]
        subprocess.run([*self.as_user, *command], check=True, capture_output=True)

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_user, _bin("pg_ctl"), "-D", self.datadir, "-l", os.path.join(self.datadir, "server.log"), *args],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._ctl("-o", options, "-w", "-t", "120", "start")

    def crash(self) -> None:
        """SIGKILL to the postmaster and every backend at once, like a power cut for the
        database; the next start runs crash recovery."""
        lock = os.path.join(self.datadir, "postmaster.pid")
        with open(lock) as f:
            pid = int(f.readline())
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        processes = [pid, *(int(p) for p in out.stdout.split())]
        for p in processes:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 30
        while any(_running(p) for p in processes):
            if time.monotonic() > deadline:
                raise RuntimeError("postgres processes survived SIGKILL")
            time.sleep(0.05)
        # A killed postmaster that nobody reaps stays a zombie, whose pid looks alive to the
        # lock check; the lock is stale, as after any crash.
        for stale in [lock, *glob.glob(os.path.join(self.datadir, ".s.PGSQL.*"))]:
            os.remove(stale)

    def stop(self) -> None:
        try:
            self._ctl("-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass

    def psql(self, sql: str, database: str = "postgres") -> str:
        """One statement's result, as unaligned text."""
        url = f"postgres://postgres@127.0.0.1:{self.port}/{database}"
        return subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
