"""A real PostgreSQL for the tests, from Debian's `postgresql` package: `initdb` in a temporary
folder as the `postgres` user, on a free loopback port, started and stopped by PID."""
from __future__ import annotations

import atexit
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.harness.sipp import free_port

_names = itertools.count(1)


class PostgresMissing(RuntimeError):
    pass


def bin_dir() -> Path:
    """The newest /usr/lib/postgresql/N/bin with initdb (Debian's layout), else initdb on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise PostgresMissing("PostgreSQL is not installed: `apt-get install postgresql` (make test does this as root)")


class PostgresServer:
    """One throw-away cluster; `new_database()` gives each test its own empty database."""

    def __init__(self) -> None:
        self.bin = bin_dir()
        self.port = free_port(socket.SOCK_STREAM)
        self.base = Path(tempfile.mkdtemp(prefix="td-pg-"))
        self.data = self.base / "data"
        self.proc: subprocess.Popen | None = None
        self.version = subprocess.run([str(self.bin / "postgres"), "--version"], capture_output=True, text=True,
                                      timeout=30).stdout.strip()
        as_postgres: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            user = pwd.getpwnam("postgres")
            os.chown(self.base, user.pw_uid, user.pw_gid)
            as_postgres = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups"]
        self.as_postgres = as_postgres
        done = subprocess.run([*as_postgres, str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                               "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise PostgresMissing(f"initdb failed: {done.stderr[-2000:]}")
        self.start()
        atexit.register(self.stop)

    def start(self) -> None:
        log = self.base / "postgres.log"
        self.proc = subprocess.Popen(
            [*self.as_postgres, str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-h", "127.0.0.1", "-k", str(self.base), "-c", "fsync=off", "-c", "max_connections=200"],
            stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                ready = subprocess.run([str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                                       capture_output=True, timeout=10)
                if ready.returncode == 0:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise PostgresMissing(f"PostgreSQL did not start:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Fast shutdown (SIGINT) by PID; SIGKILL after 10 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        name = f"td_{os.getpid()}_{next(_names)}"
        import psycopg
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
