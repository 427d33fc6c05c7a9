"""A real PostgreSQL server for the tests: the one EDI_HIT_TEST_POSTGRES names, or a
throwaway one started here.

The throwaway server: initdb into a temporary directory, postgres on a free loopback
port with its socket in that directory, fsync off (the data dies with the session);
run as the `postgres` system user when the tests run as root (postgres refuses root).
Each test that asks for `pg_url` gets a database of its own (advisory locks are per
database, so tests never share a lock), dropped afterwards. The tests skip, saying
why, only when psycopg or the server binaries are truly absent.
"""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

ENV = "EDI_HIT_TEST_POSTGRES"
_names = itertools.count(1)


def unavailable(reason: str):
    """Skip, saying why; in CI (EDI_HIT_REQUIRE_SERVICES=1, set by .ci/run) fail instead:
    a service CI was meant to provide is missing."""
    if os.environ.get("EDI_HIT_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (EDI_HIT_REQUIRE_SERVICES=1: CI must run these tests)")
    pytest.skip(reason)


def _binaries() -> str | None:
    """The folder holding initdb and pg_ctl, or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return os.path.dirname(os.path.realpath(found))
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(folder, "initdb"), os.X_OK):
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A throwaway PostgreSQL server under a temporary directory."""

    def __init__(self, bindir: str):
        self.bindir = bindir
        self.root = tempfile.mkdtemp(prefix="edi-hit-pg-")
        self.data = os.path.join(self.root, "data")
        self.log = os.path.join(self.root, "server.log")
        self.user = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no `postgres` user to run "
                                   "the server as") from None
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        os.chmod(self.root, 0o700)
        self.port = 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [os.path.join(self.bindir, args[0]), *args[1:]]
        if self.user is not None:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=check,
                              cwd=self.root)

    def start(self) -> str:
        self._run("initdb", "-D", self.data, "-U", "edihit", "--auth=trust", "--no-sync",
                  "-E", "UTF8", "--locale=C")
        for _ in range(5):  # another process may take the free port first
            self.port = _free_port()
            opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
                    f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
            done = self._run("pg_ctl", "-D", self.data, "-l", self.log, "-o", opts, "-w", "-t",
                             "60", "start", check=False)
            if done.returncode == 0:
                return f"postgresql://edihit@127.0.0.1:{self.port}/postgres"
            time.sleep(0.2)
        with open(self.log) as fh:
            raise RuntimeError(f"postgres did not start: {fh.read()[-2000:]}")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server():
    """The admin URL of a PostgreSQL server (given by EDI_HIT_TEST_POSTGRES, or started)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed (pip install 'edi-hit[postgres]')")
    given = os.environ.get(ENV)
    if given:
        yield given
        return
    bindir = _binaries()
    if bindir is None:
        unavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed and "
                    f"{ENV} is not set")
    server = Server(bindir)
    try:
        yield server.start()
    finally:
        server.stop()


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return f"{base}?{query}" if query else base


def create_database(admin_url: str) -> tuple[str, str]:
    """A new empty database on the server: (its name, its URL)."""
    import psycopg

    name = f"edi_hit_test_{os.getpid()}_{next(_names)}"
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return name, _with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_url(pg_server):
    """The URL of a database of this test's own, on the test server."""
    name, url = create_database(pg_server)
    yield url
    drop_database(pg_server, name)
