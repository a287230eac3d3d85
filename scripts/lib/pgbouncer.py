"""A throw-away PgBouncer in transaction pooling mode in front of a PostgreSQL server, on a
free port, configured in a temp dir (as the postgres user when run as root: PgBouncer
refuses to run as root). Installs Debian's `pgbouncer` package when it is missing.
Python 3.11 standard library only."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

from purrserver import log

BINARY = "/usr/sbin/pgbouncer"


def ensure_installed() -> str:
    """The pgbouncer binary, installed from Debian's package if it is not there yet."""
    if os.access(BINARY, os.X_OK):
        return BINARY
    log("installing pgbouncer (Debian package)")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = sudo + ["apt-get", "install", "-y", "--no-install-recommends", "pgbouncer"]
    if subprocess.run(install, env=env).returncode != 0:
        subprocess.run(sudo + ["apt-get", "update"], env=env, check=True)
        subprocess.run(install, env=env, check=True)
    return BINARY


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ini(port: int, workdir: str, server_host: str, server_port: int, pool_size: int) -> str:
    """The pgbouncer.ini of a transaction-mode pooler; docs/backends.md shows the same."""
    return f"""[databases]
; Every database name a client asks for, on the one PostgreSQL server.
* = host={server_host} port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir}/userlist.txt
admin_users = postgres
pool_mode = transaction
; Fewer server connections than purrlist's pool: client connections share them, so any
; statement or session state that outlived its transaction would be seen to break.
default_pool_size = {pool_size}
max_client_conn = 2000
ignore_startup_parameters = extra_float_digits
logfile = {workdir}/pgbouncer.log
pidfile = {workdir}/pgbouncer.pid
"""


class PgBouncer:
    """`start()` runs it; `stop()` ends it (by its pid); `url(database)` reaches it."""

    def __init__(self, workdir: str, server_host: str = "127.0.0.1", server_port: int = 5432, pool_size: int = 3):
        self.binary = ensure_installed()
        self.workdir = workdir
        self.port = _free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        os.makedirs(workdir, exist_ok=True)
        self.config = os.path.join(workdir, "pgbouncer.ini")
        with open(self.config, "w") as f:
            f.write(ini(self.port, workdir, server_host, server_port, pool_size))
        with open(os.path.join(workdir, "userlist.txt"), "w") as f:
            f.write('"postgres" ""\n')
        if self.as_user:
            for path in [os.path.dirname(workdir), workdir, self.config, os.path.join(workdir, "userlist.txt")]:
                shutil.chown(path, "postgres")
        self.proc: subprocess.Popen | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, timeout: float = 30.0) -> None:
        self.proc = subprocess.Popen([*self.as_user, self.binary, "-q", self.config], stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pgbouncer exited with {self.proc.returncode}; see {self.workdir}/pgbouncer.log")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                log(f"pgbouncer (transaction pooling) listens on 127.0.0.1:{self.port}")
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"pgbouncer did not listen within {timeout}s")

    def show(self, what: str) -> list[dict[str, str]]:
        """Rows of the admin console's `SHOW <what>` (STATS, POOLS, SERVERS…)."""
        out = subprocess.run(
            ["psql", "-X", "-A", "-F", "\t", "-P", "footer=off", self.url("pgbouncer"), "-c", f"SHOW {what}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
        header = out[0].split("\t") if out else []
        return [dict(zip(header, line.split("\t"))) for line in out[1:]]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            # runuser passes SIGTERM on to pgbouncer, which then exits.
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
