"""A real coturn ``turnserver`` on 127.0.0.1 for the demo, drills and tests (Debian's coturn).

Each :class:`TurnServer` runs its own process on a free loopback port with a
random ``use-auth-secret`` secret, configured from
``cloud_seat/turnserver-loopback.conf`` (linked from ``deploy/coturn/``) in a
private temp dir (pid file, SQLite db and log stay there). :meth:`TurnServer.start` returns once the
server answers a STUN Binding request on 127.0.0.1; :meth:`TurnServer.stop`
sends SIGTERM, waits, then SIGKILL. Where the binary is missing the tests
that need it skip locally and fail in CI (``need()`` in conftest).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path
from string import Template

__all__ = ["TurnServer", "render_loopback_config", "LOOPBACK_TEMPLATE", "turnserver_binary",
           "free_port", "stun_binding_ok"]

LOOPBACK_TEMPLATE = Path(__file__).resolve().parent / "turnserver-loopback.conf"
REALM = "xiaowu.test"

# what coturn 4.6 logs for a line it does not understand (it still starts)
_CONFIG_ERRORS = ("Bad configuration format", "Wrong address format", "CONFIG ERROR")
_STUN_MAGIC = 0x2112A442
_BINDING_REQUEST = 0x0001
_BINDING_SUCCESS = 0x0101


def free_port() -> int:
    """A free TCP/UDP-usable port on 127.0.0.1 (asked of the kernel)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def turnserver_binary() -> str | None:
    """The ``turnserver`` executable (PATH, then the Debian location) or ``None``."""
    found = shutil.which("turnserver")
    if found:
        return found
    debian = Path("/usr/bin/turnserver")
    return str(debian) if debian.is_file() and os.access(debian, os.X_OK) else None


def render_loopback_config(port: int, secret: str, workdir: Path, *, realm: str = REALM,
                           min_port: int = 49152, max_port: int = 65535) -> str:
    """The loopback template with every ``$name`` filled in (a missing one raises)."""
    if not secret or any(c.isspace() for c in secret) or "#" in secret:
        raise ValueError("the TURN secret must be non-empty, without spaces or '#'")
    template = Template(LOOPBACK_TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(port=port, secret=secret, realm=realm, workdir=workdir,
                               min_port=min_port, max_port=max_port)


def stun_binding_ok(port: int, timeout: float = 0.2) -> bool:
    """Whether a STUN server answers a Binding request on 127.0.0.1:``port`` (UDP)."""
    txid = secrets.token_bytes(12)
    request = struct.pack("!HHI", _BINDING_REQUEST, 0, _STUN_MAGIC) + txid
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(request, ("127.0.0.1", port))
            data = sock.recv(2048)
        except OSError:  # timeout, or ICMP port unreachable before the listener is up
            return False
    if len(data) < 20:
        return False
    mtype, _length, magic = struct.unpack("!HHI", data[:8])
    return mtype == _BINDING_SUCCESS and magic == _STUN_MAGIC and data[8:20] == txid


class TurnServer:
    """One coturn process on 127.0.0.1; use :meth:`start` and :meth:`stop`."""

    def __init__(self, secret: str | None = None, port: int | None = None) -> None:
        binary = turnserver_binary()
        if binary is None:
            raise FileNotFoundError("coturn (Debian package coturn)")
        self.binary = binary
        self.secret = secret or secrets.token_hex(24)
        self.port = port or free_port()
        self.realm = REALM
        self.workdir = Path(tempfile.mkdtemp(prefix="xiaowu-turn-"))
        self.config_path = self.workdir / "turnserver.conf"
        self.log_path = self.workdir / "turnserver.log"  # named in the template
        self.stdout_path = self.workdir / "stdout.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def log(self) -> str:
        """Start-up output (stdout) followed by coturn's log file."""
        text = ""
        for path in (self.stdout_path, self.log_path):
            try:
                text += path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                pass
        return text

    def start(self, timeout: float = 10.0) -> TurnServer:
        self.config_path.write_text(
            render_loopback_config(self.port, self.secret, self.workdir, realm=self.realm),
            encoding="utf-8")
        self.config_path.chmod(0o600)
        with open(self.stdout_path, "wb") as out:
            # -c: only our file, never /etc/turnserver.conf. The log file on the
            # command line as well: a config warning logged before the file's
            # log-file line is read would otherwise open a log under /var/log.
            self.proc = subprocess.Popen(
                [self.binary, "-l", str(self.log_path), "--simple-log", "--no-stdout-log",
                 "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                cwd=self.workdir, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                tail = self.log()[-4000:]
                self.stop()
                raise RuntimeError(f"turnserver exited with {code}:\n{tail}")
            if stun_binding_ok(self.port):
                bad = [line for line in self.log().splitlines()
                       if any(m in line for m in _CONFIG_ERRORS)]
                if bad:
                    self.stop()
                    raise RuntimeError("turnserver config errors:\n" + "\n".join(bad))
                return self
            time.sleep(0.05)
        tail = self.log()[-4000:]
        self.stop()
        raise RuntimeError(f"turnserver did not answer on 127.0.0.1:{self.port}:\n{tail}")

    def stop(self, timeout: float = 5.0) -> None:
        proc, self.proc = self.proc, None
        try:
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout)
        finally:
            self._cleanup()

    def _cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> TurnServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
