"""A throwaway PostgreSQL server for tests: a real cluster in a temporary directory, never a mock.

``PgServer.launch()`` runs ``initdb`` in a fresh temporary directory (password authentication over TCP, UTF-8,
the C.UTF-8 locale, ``fsync=off``), starts the server with ``pg_ctl`` on a free TCP port of 127.0.0.1
(its unix socket in that directory, not in /var/run) and waits until it accepts connections.
PostgreSQL refuses to run as root: when the tests run as root, every server command runs as the
``postgres`` user (``runuser -u postgres``) and the directory is handed to that user; otherwise it
runs as the current user.

``stop()``, ``start()`` and ``restart()`` take the server away and bring it back on the same port
with the same data (a test of "the database went away"); ``close()`` stops it and deletes the
directory (also at interpreter exit, for a test run that forgets).

When ``KIEMCHUNG_TEST_PG`` holds a server URL (``postgresql://user:password@host:port/dbname``, a
user allowed to create databases), that server is used instead and no cluster is started; it cannot
be stopped or restarted by the tests (``can_restart`` is False).

Binaries are found in ``KIEMCHUNG_PG_BINDIR``, then ``/usr/lib/postgresql/<newest>/bin``, then
``pg_config --bindir``, then ``PATH``. Without binaries and without ``KIEMCHUNG_TEST_PG``,
``launch()`` raises ``PgUnavailable`` with the reason (the fixtures turn it into a skip).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ENV_URL = "KIEMCHUNG_TEST_PG"
ENV_BINDIR = "KIEMCHUNG_PG_BINDIR"
SERVER_USER = "postgres"  # the unprivileged system user that runs the cluster when we are root
PASSWORD = "kiemchung-test"  # of the throwaway cluster's superuser (only 127.0.0.1 listens)
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PgUnavailable(RuntimeError):
    """No PostgreSQL to test against (no binaries, no KIEMCHUNG_TEST_PG, or no psycopg)."""


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None."""
    candidates: list[Path] = []
    if os.environ.get(ENV_BINDIR):
        candidates.append(Path(os.environ[ENV_BINDIR]))
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += versions
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(Path(out.stdout.strip()))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for path in candidates:
        if all((path / exe).is_file() for exe in ("initdb", "pg_ctl", "postgres")):
            return path
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise PgUnavailable("psycopg is not installed (pip install -e '.[server]')") from exc
    return psycopg


def _quote_ident(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a plain database name: {name!r}")
    return f'"{name}"'


class PgServer:
    """One PostgreSQL server to test against (a throwaway cluster, or the one in KIEMCHUNG_TEST_PG)."""

    def __init__(self, *, bindir: Path | None = None, external_url: str | None = None) -> None:
        self.bindir = bindir
        self.external_url = external_url
        self.can_restart = external_url is None
        self.directory: Path | None = None
        self.port: int | None = None
        self.host = "127.0.0.1"
        self.user = SERVER_USER
        self.password: str | None = None
        self._created: set[str] = set()
        self._running = False
        if external_url:
            parts = urlsplit(external_url)
            self.host = parts.hostname or "127.0.0.1"
            self.port = parts.port or 5432
            self.user = parts.username or SERVER_USER
            self.password = parts.password
            self._admin_db = (parts.path or "/postgres").lstrip("/") or "postgres"
        else:
            self._admin_db = "postgres"

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def launch(cls) -> PgServer:
        """The server the tests use: KIEMCHUNG_TEST_PG if set, else a new throwaway cluster."""
        _psycopg()
        external = os.environ.get(ENV_URL, "").strip()
        if external:
            server = cls(external_url=external)
            try:
                server.wait_ready(timeout=15)
            except PgUnavailable as exc:
                raise PgUnavailable(f"{ENV_URL}={external!r} does not answer: {exc}") from exc
            server._running = True
            return server
        bindir = find_bindir()
        if bindir is None:
            raise PgUnavailable(
                f"no PostgreSQL server binaries (initdb, pg_ctl, postgres) found and {ENV_URL} is not set; "
                "install Debian's `postgresql` package or point KIEMCHUNG_TEST_PG at a server"
            )
        server = cls(bindir=bindir)
        server.init_cluster()
        server.start()
        return server

    def _as_server_user(self, argv: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", SERVER_USER, "--", *argv]
        return argv

    def _run(self, argv: list[str], *, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            self._as_server_user(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=str(self.directory) if self.directory else None,
            env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
        )

    def init_cluster(self) -> None:
        assert self.bindir is not None
        self.directory = Path(tempfile.mkdtemp(prefix="kc-pg-"))
        if os.geteuid() == 0:
            import pwd

            try:
                entry = pwd.getpwnam(SERVER_USER)
            except KeyError as exc:
                shutil.rmtree(self.directory, ignore_errors=True)
                raise PgUnavailable(f"running as root and there is no {SERVER_USER!r} user to run PostgreSQL as") from exc
            if shutil.which("runuser") is None:
                shutil.rmtree(self.directory, ignore_errors=True)
                raise PgUnavailable("running as root and `runuser` is missing")
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        os.chmod(self.directory, 0o700)
        atexit.register(self.close)
        self.user = SERVER_USER if os.geteuid() == 0 else _current_user()
        # Password authentication over TCP (what an installation has; lets tests give a wrong
        # password), trust over the cluster's own unix socket in the temp directory.
        self.password = PASSWORD
        pwfile = self.directory / "pwfile"
        pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
        if os.geteuid() == 0:
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        result = self._run(
            [
                str(self.bindir / "initdb"),
                "-D", str(self.datadir),
                "--auth-local", "trust",
                "--auth-host", "scram-sha-256",
                "--pwfile", str(pwfile),
                "-U", self.user,
                "--encoding", "UTF8",
                "--locale", "C.UTF-8",
                "--no-sync",
            ]
        )
        if result.returncode != 0:
            self.close()
            raise PgUnavailable(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")
        self.port = free_port()

    @property
    def datadir(self) -> Path:
        assert self.directory is not None
        return self.directory / "data"

    @property
    def logfile(self) -> Path:
        assert self.directory is not None
        return self.directory / "server.log"

    # -- life cycle -----------------------------------------------------------------------------

    def start(self, *, timeout: float = 60) -> None:
        """Start the cluster (same port, same data as before) and wait until it accepts connections."""
        if not self.can_restart:
            raise RuntimeError(f"the server in {ENV_URL} is not ours to start")
        if self._running:
            return
        assert self.bindir is not None and self.port is not None
        options = " ".join(
            [
                f"-c port={self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.directory}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c shared_buffers=64MB",
                "-c max_connections=200",
                "-c max_locks_per_transaction=256",
            ]
        )
        for attempt in range(3):
            result = self._run(
                [
                    str(self.bindir / "pg_ctl"),
                    "start", "-w", "-t", str(int(timeout)),
                    "-D", str(self.datadir),
                    "-l", str(self.logfile),
                    "-o", options,
                ],
                timeout=timeout + 30,
            )
            if result.returncode == 0:
                break
            log = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
            if "could not bind" in log and attempt < 2:  # the free port was taken in between: another
                self.port = free_port()
                options = re.sub(r"-c port=\d+", f"-c port={self.port}", options)
                continue
            raise PgUnavailable(f"pg_ctl start failed: {result.stderr.strip()}\n{log[-2000:]}")
        self._running = True
        self.wait_ready(timeout=timeout)

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster (``mode``: smart, fast or immediate); the data stays for ``start()``."""
        if not self.can_restart:
            raise RuntimeError(f"the server in {ENV_URL} is not ours to stop")
        if not self._running:
            return
        assert self.bindir is not None
        self._run([str(self.bindir / "pg_ctl"), "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.datadir)])
        self._running = False

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._running

    def close(self) -> None:
        """Stop the server and delete its directory (a no-op for KIEMCHUNG_TEST_PG, beyond the
        databases this object created)."""
        if self.external_url:
            for name in list(self._created):
                with contextlib.suppress(Exception):
                    self.drop_database(name)
            return
        if self.directory is None:
            return
        with contextlib.suppress(Exception):
            self.stop(mode="immediate")
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None

    def wait_ready(self, *, timeout: float = 60) -> None:
        psycopg = _psycopg()
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.dsn(self._admin_db), connect_timeout=5) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError as exc:
                last = exc
                time.sleep(0.1)
        raise PgUnavailable(f"PostgreSQL at {self.host}:{self.port} did not answer: {last}")

    # -- addresses and databases ----------------------------------------------------------------

    def _netloc(self) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        return f"{auth}@{self.host}:{self.port}"

    def url(self, dbname: str = "postgres", *, driver: str = "psycopg") -> str:
        """An SQLAlchemy URL for ``dbname`` on this server: ``postgresql+psycopg://…``."""
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return urlunsplit((scheme, self._netloc(), "/" + dbname, "", ""))

    def dsn(self, dbname: str = "postgres") -> str:
        """A libpq connection string for ``dbname`` (for psycopg directly)."""
        return urlunsplit(("postgresql", self._netloc(), "/" + dbname, "", ""))

    def admin(self):
        """An autocommit psycopg connection to the maintenance database (caller closes it)."""
        psycopg = _psycopg()
        return psycopg.connect(self.dsn(self._admin_db), autocommit=True, connect_timeout=10)

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        """Create an empty database (a fresh unique name when ``name`` is None); returns its name."""
        name = name or f"kc_{uuid.uuid4().hex[:12]}"
        sql = f"CREATE DATABASE {_quote_ident(name)} ENCODING 'UTF8'"
        if template:
            sql += f" TEMPLATE {_quote_ident(template)}"
        else:
            sql += " TEMPLATE template0"
        with self.admin() as conn:
            conn.execute(sql)
        self._created.add(name)
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name`` even with connections still open to it."""
        with self.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
        self._created.discard(name)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        where = self.external_url and "external" or str(self.directory)
        return f"<PgServer {self.host}:{self.port} {where}>"


def _current_user() -> str:
    import getpass

    return getpass.getuser()


if __name__ == "__main__":  # pragma: no cover - manual use: start a server and print its URL
    import sys

    srv = PgServer.launch()
    print(srv.url(srv.create_database(sys.argv[1] if len(sys.argv) > 1 else None)), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.close()
