"""A real PostgreSQL server on loopback for the tests, from the Debian packages.

`PostgresServer.start()` creates a data directory in a fresh temporary folder, starts
`postgres` on 127.0.0.1 on a free port with password authentication, and `stop()` stops
it and removes the folder. PostgreSQL refuses to run as root, so when the tests run as
root the server runs as the `postgres` system user (created by the Debian package).

`.ci/run` installs the `postgresql` package; without it the fixture fails with one line
saying what to install.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from loopback import free_port

ADMIN_USER = "reports_admin"
ADMIN_PASSWORD = "test-only-password"  # a throwaway server that lives for one test session


def find_bindir() -> Path:
    for candidate in [os.environ.get("PG_BINDIR", ""), *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]:
        if candidate and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: install the Debian package 'postgresql' "
        "(or set PG_BINDIR to the folder holding pg_ctl)"
    )


@dataclass
class PostgresServer:
    host: str = "127.0.0.1"
    port: int = 0
    user: str = ADMIN_USER
    password: str = ADMIN_PASSWORD
    root: Path | None = None
    bindir: Path = field(default_factory=find_bindir)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)

    def start(self) -> PostgresServer:
        self.root = Path(tempfile.mkdtemp(prefix="partner-reports-pg-"))
        self.port = self.port or free_port()
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in (self.root, pwfile):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            self.user,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        try:
            self._run(
                "pg_ctl",
                "-D",
                str(self.datadir),
                "-o",
                options,
                "-l",
                str(self.root / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            )
        except subprocess.CalledProcessError:
            log = self.root / "server.log"
            raise RuntimeError(f"PostgreSQL did not start: {log.read_text()[-2000:] if log.exists() else ''}") from None
        return self

    def stop(self) -> None:
        if self.root is None:
            return
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def url(self, database: str = "postgres", driver: str = "postgresql") -> str:
        return f"{driver}://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create database `name` and return its URL."""
        import psycopg2

        conn = psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname="postgres"
        )
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)

    def env(self, database: str) -> dict[str, str]:
        """The DAGSTER_PG_* variables deploy/dagster.postgres.yaml reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_DB": database,
            "DAGSTER_PG_USERNAME": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
        }
