"""An MLLP listener: HL7 v2 result messages in over TCP, an ACK back on the same connection.

``cobalamin hl7 serve --port P --out DIR`` runs one. Each connection is read frame by frame
(``\\x0b message \\x1c\\x0d``); every message is interpreted (``hl7v2.process_message``), the
interpreted message is written to ``DIR`` (one file per message, written under a temporary name
and renamed, so a reader never sees half a file) and only then is the ACK sent: AA means the
result is on disk. A message that gets AE or AR is kept as it came in ``DIR/rejected`` with its
ACK beside it, so no message is lost. Bytes outside a frame are skipped; a frame larger than
``MAX_MESSAGE_BYTES`` is answered with AR and dropped; a dropped connection or a failing
message never stops the server (each connection has its own thread).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import re
import socketserver
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cobalamin.interop.hl7v2 import HL7Error, acknowledgement, frame_mllp, process_message
from cobalamin.knowledge.local_codes import LocalCodes
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.registry import Knowledge

__all__ = ["MAX_MESSAGE_BYTES", "MLLPServer", "Settings"]

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_START, _END = b"\x0b", b"\x1c"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
log = logging.getLogger("cobalamin.mllp")  # counts and ids of messages only, never content


@dataclass(frozen=True)
class Settings:
    pack: Pack
    knowledge: Knowledge
    out: Path
    codes: LocalCodes
    langs: Sequence[str] = ("nl", "en")


class _Store:
    """Numbers messages across connections and writes them atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.rejected = folder / "rejected"
        self.rejected.mkdir(parents=True, exist_ok=True)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def next_number(self) -> int:
        with self._lock:
            return next(self._numbers)

    def name(self, number: int, control_id: str) -> str:
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        return f"{stamp}-{os.getpid()}-{number:06d}-{_SAFE.sub('_', control_id)[:40] or 'x'}"

    def write(self, path: Path, body: str) -> None:
        tmp = path.with_name(f".{path.name}.partial")
        tmp.write_bytes(body.replace("\r", "\n").encode("utf-8") + b"\n")
        os.replace(tmp, path)


class _Connection(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        buffer = b""
        self.request.settimeout(self.server.idle_seconds)
        while True:
            try:
                chunk = self.request.recv(65536)
            except (TimeoutError, OSError):
                return  # the client went quiet or away: whatever is half-read is not a message
            if not chunk:
                return
            buffer += chunk
            while True:
                start = buffer.find(_START)
                if start < 0:
                    buffer = b""  # bytes outside a frame: skipped
                    break
                end = buffer.find(_END, start)
                if end < 0:
                    buffer = buffer[start:]
                    if len(buffer) > MAX_MESSAGE_BYTES:
                        self._too_large()
                        buffer = b""
                    break
                frame = buffer[start + 1 : end]
                buffer = buffer[end + 1 :].removeprefix(b"\r")
                if not self._answer(frame):
                    return

    def _too_large(self) -> None:
        error = HL7Error(
            "message", f"larger than {MAX_MESSAGE_BYTES} bytes", code="100", reject=True
        )
        self._send(acknowledgement("", error, self.server.settings.pack))

    def _answer(self, frame: bytes) -> bool:
        settings, store = self.server.settings, self.server.store
        text = frame.decode("utf-8", errors="replace").replace("\r\n", "\r").replace("\n", "\r")
        text = text.strip("\r")
        number = store.next_number()
        outcome = process_message(
            text, number, settings.pack, settings.knowledge, codes=settings.codes,
            langs=settings.langs,
        )  # fmt: skip
        name = store.name(number, outcome.control_id)
        try:
            if outcome.interpreted is not None:
                store.write(store.folder / f"{name}.hl7", outcome.interpreted)
            else:
                store.write(store.rejected / f"{name}.hl7", text)
                store.write(store.rejected / f"{name}.ack.hl7", outcome.ack)
        except OSError as exc:  # the disk failed: say so, do not claim the result is kept
            error = HL7Error(f"message {number}", f"cannot be stored: {exc.strerror}", code="207")
            log.error("message %d not stored: %s", number, exc.strerror)
            return self._send(acknowledgement(text, error, settings.pack))
        log.info(
            "message %d (%s): %s", number, outcome.control_id, outcome.ack.split("MSA|")[-1][:2]
        )
        return self._send(outcome.ack)

    def _send(self, ack: str) -> bool:
        try:
            self.request.sendall(frame_mllp(ack).encode("utf-8"))
        except OSError:
            return False  # the client left before its ACK: the message is stored all the same
        return True


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], settings: Settings, idle_seconds: float) -> None:
        self.settings = settings
        self.store = _Store(settings.out)
        self.idle_seconds = idle_seconds
        super().__init__(address, _Connection)

    def handle_error(self, request: object, client_address: object) -> None:
        log.exception("connection from %s failed", client_address)  # and keep serving


class MLLPServer:
    """A running listener; ``port`` is the one bound (give port 0 to get a free one)."""

    def __init__(
        self,
        settings: Settings,
        host: str = "127.0.0.1",
        port: int = 2575,
        idle_seconds: float = 300.0,
    ) -> None:
        for name in ("analytes", "vocabulary", "texts", "alerts", "safety", "cb12", "facts"):
            getattr(settings.knowledge, name)  # loaded once, before threads read them
        self.settings = settings
        self._server = _Server((host, port), settings, idle_seconds)
        address = self._server.server_address
        self.host, self.port = str(address[0]), int(address[1])
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def start(self) -> MLLPServer:
        """Serve in a background thread (tests, embedding)."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> MLLPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
