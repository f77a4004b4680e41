#!/usr/bin/env python3
"""Throwaway PostgreSQL servers for tests (stdlib only, Python >= 3.11).

Usage:
  python scripts/pgtest.py run -- <command> [args...]
      Start a fresh PostgreSQL (15+) server on 127.0.0.1:<free port>, create the
      database ``keychannel``, run <command> with

          KEYCHANNEL_DATABASE_URL=postgres://postgres@127.0.0.1:<port>/keychannel
          KEYCHANNEL_TEST_POSTGRES=1

      in its environment, then stop the server and delete its data directory.
      Exits with the command's exit code (128+N if it died from signal N).
      Cleans up on Ctrl-C, SIGTERM, SIGHUP and errors as well.

  python scripts/pgtest.py run --keep DIR -- <command> [args...]
      The same, on a persistent cluster in DIR (e.g. var/bench/pgdata, the
      benchmark data set): created with initdb (and the database created) on
      first use, started on a free port on later runs, and afterwards stopped
      but NOT deleted. A DIR that exists must be empty or a data dir created
      by this script. While one run uses DIR, another run on the same DIR is
      refused (exit 125) instead of sharing or stopping its server.

  python scripts/pgtest.py start
      Same set-up, but leaves the server running and prints shell lines on
      stdout, usable as ``eval "$(python scripts/pgtest.py start)"``:

          export KEYCHANNEL_DATABASE_URL=postgres://postgres@127.0.0.1:<port>/keychannel
          export KEYCHANNEL_TEST_POSTGRES=1
          export KEYCHANNEL_PGTEST_DATADIR=<dir>
          # data dir: <dir>  (stop with: python scripts/pgtest.py stop <dir>)

  python scripts/pgtest.py stop DATADIR
      Stop a server started by ``start`` and delete its data directory.

Binaries: $KEYCHANNEL_PG_BINDIR if set, else the highest PostgreSQL version
among ``initdb`` on PATH and /usr/lib/postgresql/*/bin.

Root: PostgreSQL refuses to run as root. When this script runs as root it
creates the ``postgres`` system user if missing (``useradd --system postgres``),
chowns the temporary data dir to it, and runs initdb/pg_ctl through
``runuser -u postgres --``. Otherwise they run as the current user.

Exit code 125 means pgtest itself failed (the server log is printed).
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DB_NAME = "keychannel"
DB_USER = "postgres"
SERVICE_USER = "postgres"  # OS user that owns the cluster when we run as root
MIN_MAJOR = 15
MARKER = ".keychannel-pgtest"  # marks a data dir created by this script
PGTEST_FAILED = 125
TOOL_TIMEOUT = 120  # seconds for initdb / createdb / pg_ctl calls


class PgTestError(Exception):
    """Set-up or tear-down failed; message is printed, exit code 125."""


class Terminated(BaseException):
    """Raised from a SIGTERM/SIGHUP handler so that cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def log(msg: str) -> None:
    print(f"pgtest: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Locating binaries
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class PgBin:
    bindir: Path
    version: tuple[int, int]

    def tool(self, name: str) -> str:
        path = self.bindir / name
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        found = shutil.which(name)
        if found:
            return found
        raise PgTestError(f"cannot find {name!r} in {self.bindir} or on PATH")


def _initdb_version(initdb: Path) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [str(initdb), "--version"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"\)\s*(\d+)(?:\.(\d+))?", out) or re.search(r"(\d+)(?:\.(\d+))?", out)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 0)


def find_postgres() -> PgBin:
    candidates: list[Path] = []
    override = os.environ.get("KEYCHANNEL_PG_BINDIR")
    if override:
        candidates.append(Path(override))
    else:
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
        candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin")))

    best: PgBin | None = None
    seen: set[Path] = set()
    for bindir in candidates:
        bindir = bindir.resolve()
        if bindir in seen:
            continue
        seen.add(bindir)
        initdb, pg_ctl = bindir / "initdb", bindir / "pg_ctl"
        if not (initdb.is_file() and pg_ctl.is_file()):
            continue
        version = _initdb_version(initdb)
        if version and (best is None or version > best.version):
            best = PgBin(bindir, version)
    if best is None:
        where = override or "PATH or /usr/lib/postgresql/*/bin"
        raise PgTestError(f"no initdb/pg_ctl found in {where}; install PostgreSQL {MIN_MAJOR}+")
    if best.version[0] < MIN_MAJOR:
        raise PgTestError(
            f"PostgreSQL {MIN_MAJOR}+ required, found {best.version[0]}.{best.version[1]} in {best.bindir}"
        )
    return best


# --------------------------------------------------------------------------
# Running server tools as the right user
# --------------------------------------------------------------------------

def is_root() -> bool:
    return os.geteuid() == 0


def ensure_service_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        pass
    log(f"creating system user {SERVICE_USER!r}")
    result = subprocess.run(["useradd", "--system", SERVICE_USER], capture_output=True, text=True)
    if result.returncode != 0:
        raise PgTestError(f"useradd --system {SERVICE_USER} failed: {result.stderr.strip()}")
    return pwd.getpwnam(SERVICE_USER)


def as_server_user(cmd: list[str], owner: str | None) -> list[str]:
    """Prefix cmd with runuser when we are root (PostgreSQL refuses root)."""
    if owner is None:
        return cmd
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    if not os.path.exists(runuser):
        raise PgTestError("running as root but 'runuser' is not available")
    return [runuser, "-u", owner, "--", *cmd]


def run_tool(cmd: list[str], *, owner: str | None, cwd: Path, check: bool = True,
             timeout: float = TOOL_TIMEOUT) -> subprocess.CompletedProcess[str]:
    full = as_server_user(cmd, owner)
    try:
        result = subprocess.run(
            full, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise PgTestError(f"timed out after {timeout}s: {shlex.join(full)}") from exc
    if check and result.returncode != 0:
        raise PgTestError(
            f"command failed ({result.returncode}): {shlex.join(full)}\n"
            f"{result.stdout}{result.stderr}".rstrip()
        )
    return result


# --------------------------------------------------------------------------
# Server lifecycle
# --------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(port: int) -> str:
    return f"postgres://{DB_USER}@127.0.0.1:{port}/{DB_NAME}"


def print_server_log(datadir: Path) -> None:
    logfile = datadir / "log"
    try:
        text = logfile.read_text(errors="replace")
    except OSError:
        log(f"(no server log at {logfile})")
        return
    lines = text.splitlines()[-200:]
    print(f"----- PostgreSQL server log ({logfile}) -----", file=sys.stderr)
    print("\n".join(lines), file=sys.stderr)
    print("----- end of server log -----", file=sys.stderr, flush=True)


@dataclass
class Server:
    pg: PgBin
    datadir: Path
    owner: str | None  # OS user to run server tools as (None: current user)
    port: int = 0

    @property
    def url(self) -> str:
        return database_url(self.port)

    # -- set-up ------------------------------------------------------------
    @classmethod
    def create(cls, pg: PgBin) -> Server:
        owner: str | None = None
        base = os.environ.get("KEYCHANNEL_PGTEST_TMPDIR") or None
        datadir = Path(tempfile.mkdtemp(prefix="keychannel-pg-", dir=base))
        server = cls(pg=pg, datadir=datadir, owner=None)
        try:
            if is_root():
                user = ensure_service_user()
                os.chown(datadir, user.pw_uid, user.pw_gid)
                os.chmod(datadir, 0o700)
                owner = user.pw_name
                server.owner = owner
                probe = run_tool(["test", "-w", str(datadir)], owner=owner, cwd=Path("/"), check=False)
                if probe.returncode != 0:
                    raise PgTestError(
                        f"user {owner!r} cannot write {datadir}; set KEYCHANNEL_PGTEST_TMPDIR "
                        "to a directory it can reach (e.g. /tmp)"
                    )
            server._initdb()
            (datadir / MARKER).write_text(f"created by scripts/pgtest.py pid {os.getpid()}\n")
            server._start()
            server._createdb()
        except BaseException:
            server.destroy()
            raise
        return server

    @classmethod
    def keep(cls, pg: PgBin, datadir: Path) -> Server:
        """A persistent cluster in ``datadir``: initdb on first use, else start the existing one."""
        datadir = datadir.resolve()
        fresh = not (datadir / "PG_VERSION").exists()
        if not fresh and not (datadir / MARKER).exists():
            raise PgTestError(f"{datadir} is a data directory not created by pgtest.py; refusing to use it")
        if fresh and datadir.exists() and any(datadir.iterdir()):
            raise PgTestError(f"{datadir} exists and is neither empty nor a pgtest data directory")
        datadir.mkdir(parents=True, exist_ok=True)
        server = cls(pg=pg, datadir=datadir, owner=None)
        if is_root():
            user = ensure_service_user()
            if fresh:
                os.chown(datadir, user.pw_uid, user.pw_gid)
            os.chmod(datadir, 0o700)
            server.owner = pwd.getpwuid(datadir.stat().st_uid).pw_name
            if server.owner == "root":
                raise PgTestError(f"{datadir} is owned by root; PostgreSQL cannot run as root")
            probe = run_tool(["test", "-w", str(datadir)], owner=server.owner, cwd=Path("/"), check=False)
            if probe.returncode != 0:
                raise PgTestError(f"user {server.owner!r} cannot write {datadir} (check the parent directories)")
        if fresh:
            try:
                server._initdb()
                (datadir / MARKER).write_text(f"created by scripts/pgtest.py --keep, pid {os.getpid()}\n")
                server._start()
                server._createdb()
            except BaseException:
                server._stop_quietly()
                raise
            return server
        pid = server._postmaster_pid()
        if pid is not None and _alive(pid):
            raise PgTestError(f"a server is already running in {datadir} (postmaster pid {pid}): another "
                              "`pgtest.py run --keep` on this directory is in progress; wait for it to finish")
        server._start()  # a stale postmaster.pid (a killed run) is replaced by the postmaster itself
        return server

    def stop(self) -> None:
        """Stop the server and keep its data directory."""
        try:
            self._stop_quietly()
        except Exception as exc:
            log(f"error while stopping server: {exc}")

    def _initdb(self) -> None:
        base = [self.pg.tool("initdb"), "-D", str(self.datadir), "-U", DB_USER,
                "--auth=trust", "-E", "UTF8", "--no-sync"]
        first = run_tool([*base, "--locale=C.UTF-8"], owner=self.owner, cwd=self.datadir, check=False)
        if first.returncode == 0:
            return
        log("initdb with --locale=C.UTF-8 failed; retrying with --no-locale")
        self._empty_datadir()
        second = run_tool([*base, "--no-locale"], owner=self.owner, cwd=self.datadir, check=False)
        if second.returncode != 0:
            raise PgTestError(
                "initdb failed:\n"
                f"{first.stdout}{first.stderr}\n--- retry with --no-locale ---\n"
                f"{second.stdout}{second.stderr}".rstrip()
            )

    def _empty_datadir(self) -> None:
        for child in self.datadir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)

    def _start(self, attempts: int = 3) -> None:
        last = ""
        for attempt in range(1, attempts + 1):
            self.port = free_port()
            opts = (
                f"-h 127.0.0.1 -p {self.port} -k {shlex.quote(str(self.datadir))} -F "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            result = run_tool(
                [self.pg.tool("pg_ctl"), "-w", "-t", "90", "-D", str(self.datadir), "-o", opts,
                 "-l", str(self.datadir / "log"), "start"],
                owner=self.owner, cwd=self.datadir, check=False, timeout=TOOL_TIMEOUT,
            )
            if result.returncode == 0:
                return
            last = f"{result.stdout}{result.stderr}".strip()
            text = ""
            try:
                text = (self.datadir / "log").read_text(errors="replace")
            except OSError:
                pass
            if "already in use" in text and attempt < attempts:
                log(f"port {self.port} was taken, retrying with another one")
                self._stop_quietly()
                continue
            break
        print_server_log(self.datadir)
        raise PgTestError(f"pg_ctl start failed: {last}")

    def _createdb(self) -> None:
        result = run_tool(
            [self.pg.tool("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", DB_USER, DB_NAME],
            owner=None, cwd=self.datadir, check=False,
        )
        if result.returncode != 0:
            print_server_log(self.datadir)
            raise PgTestError(f"createdb failed: {(result.stdout + result.stderr).strip()}")

    # -- tear-down ---------------------------------------------------------
    def _postmaster_pid(self) -> int | None:
        try:
            first = (self.datadir / "postmaster.pid").read_text().splitlines()[0]
            return int(first.strip())
        except (OSError, ValueError, IndexError):
            return None

    def _stop_quietly(self) -> bool:
        """Stop the server if it runs; True if it is no longer running."""
        if not (self.datadir / "postmaster.pid").exists():
            return True
        pg_ctl = self.pg.tool("pg_ctl")
        for mode in ("fast", "immediate"):
            try:
                result = run_tool([pg_ctl, "-D", str(self.datadir), "-m", mode, "-w", "-t", "30", "stop"],
                                  owner=self.owner, cwd=Path("/"), check=False, timeout=60)
            except PgTestError as exc:
                log(str(exc))
                continue
            if result.returncode == 0 or not (self.datadir / "postmaster.pid").exists():
                return True
        pid = self._postmaster_pid()
        if pid is None:
            return True
        log(f"pg_ctl stop failed; killing postmaster {pid}")
        for sig in (signal.SIGQUIT, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return True
            except PermissionError:
                break
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return True
                time.sleep(0.1)
        return False

    def destroy(self) -> None:
        stopped = True
        try:
            stopped = self._stop_quietly()
        except Exception as exc:  # never skip the rm because of a stop error
            log(f"error while stopping server: {exc}")
        if not stopped:
            log(f"server in {self.datadir} may still be running; removing its files anyway")
        shutil.rmtree(self.datadir, ignore_errors=True)
        if self.datadir.exists():
            log(f"could not remove {self.datadir}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def server_for_existing(datadir: Path) -> Server:
    if not (datadir / MARKER).exists() or not (datadir / "PG_VERSION").exists():
        raise PgTestError(f"{datadir} is not a data directory created by pgtest.py start")
    owner = None
    if is_root():
        owner = pwd.getpwuid(datadir.stat().st_uid).pw_name
        if owner == "root":
            owner = None
    return Server(pg=find_postgres(), datadir=datadir, owner=owner)


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------

def child_env(server: Server) -> dict[str, str]:
    env = dict(os.environ)
    env["KEYCHANNEL_DATABASE_URL"] = server.url
    env["KEYCHANNEL_TEST_POSTGRES"] = "1"
    return env


def exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def cmd_run(command: list[str], keep: Path | None = None) -> int:
    if not command:
        raise PgTestError("usage: pgtest.py run [--keep DIR] -- <command> [args...]")

    proc: subprocess.Popen[bytes] | None = None

    def on_signal(signum: int, _frame: object) -> None:
        if proc is not None and proc.poll() is None:
            try:
                proc.send_signal(signum)
            except ProcessLookupError:
                pass
        raise Terminated(signum)

    old_term = signal.signal(signal.SIGTERM, on_signal)
    old_hup = signal.signal(signal.SIGHUP, on_signal)
    server: Server | None = None
    try:
        pg = find_postgres()
        log(f"PostgreSQL {pg.version[0]}.{pg.version[1]} from {pg.bindir}")
        server = Server.keep(pg, keep) if keep is not None else Server.create(pg)
        log(f"server ready: {server.url} (data dir {server.datadir}{', kept' if keep is not None else ''})")
        try:
            proc = subprocess.Popen(command, env=child_env(server))
        except OSError as exc:
            log(f"cannot run {shlex.join(command)}: {exc}")
            return 127
        return exit_code(proc.wait())
    except KeyboardInterrupt:
        log("interrupted")
        _reap(proc, signal.SIGINT)
        return 130
    except Terminated as exc:
        log(f"got signal {exc.signum}")
        _reap(proc, None)
        return 128 + exc.signum
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)  # do not abort cleanup
        try:
            if server is not None and keep is not None:
                server.stop()
                log(f"server stopped, {server.datadir} kept")
            elif server is not None:
                server.destroy()
                log(f"server stopped, {server.datadir} removed")
        finally:
            signal.signal(signal.SIGINT, old_int)
            signal.signal(signal.SIGTERM, old_term)
            signal.signal(signal.SIGHUP, old_hup)


def _reap(proc: subprocess.Popen[bytes] | None, forward: int | None) -> None:
    """Give the command a chance to exit, then forward/terminate/kill it.

    A terminal Ctrl-C already reached the command (same process group), so
    wait a moment before forwarding the signal a second time.
    """
    if proc is None or proc.poll() is not None:
        return
    steps = [(None, 2.0), (forward, 10.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)]
    for sig, wait in steps:
        if sig is not None:
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
        except KeyboardInterrupt:
            continue


def cmd_start() -> int:
    pg = find_postgres()
    log(f"PostgreSQL {pg.version[0]}.{pg.version[1]} from {pg.bindir}")
    server = Server.create(pg)
    d = shlex.quote(str(server.datadir))
    print(f"export KEYCHANNEL_DATABASE_URL={server.url}")
    print("export KEYCHANNEL_TEST_POSTGRES=1")
    print(f"export KEYCHANNEL_PGTEST_DATADIR={d}")
    print(f"# data dir: {server.datadir}  (stop with: python scripts/pgtest.py stop {d})", flush=True)
    return 0


def cmd_stop(datadir: str) -> int:
    path = Path(datadir).resolve()
    if not path.exists():
        raise PgTestError(f"{path} does not exist")
    server = server_for_existing(path)
    server.destroy()
    if path.exists():
        return PGTEST_FAILED
    log(f"server stopped, {path} removed")
    return 0


USAGE = """usage:
  pgtest.py run [--keep DIR] -- <command> [args...]
  pgtest.py start
  pgtest.py stop DATADIR"""


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__ if argv else USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    sub, rest = argv[0], argv[1:]
    try:
        if sub == "run":
            keep = None
            if rest and rest[0] == "--keep":
                if len(rest) < 2 or rest[1] == "--":
                    print(USAGE, file=sys.stderr)
                    return 2
                keep, rest = Path(rest[1]), rest[2:]
            elif rest and rest[0].startswith("--keep="):
                keep, rest = Path(rest[0].split("=", 1)[1]), rest[1:]
            if rest and rest[0] == "--":
                rest = rest[1:]
            return cmd_run(rest, keep=keep)
        if sub == "start" and not rest:
            return cmd_start()
        if sub == "stop" and len(rest) == 1:
            return cmd_stop(rest[0])
    except PgTestError as exc:
        log(f"error: {exc}")
        return PGTEST_FAILED
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
