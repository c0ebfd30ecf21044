"""The MLLP listener, driven by python-hl7's own client: an ACK per message on the same
connection, the interpreted messages on disk, nothing lost, and a server that keeps going."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import hl7
import pytest
from hl7.client import MLLPClient

from cobalamin import default_knowledge, load_pack
from cobalamin.interop.mllp import MLLPServer, Settings
from cobalamin.knowledge.local_codes import LocalCodes

MSG = (
    "MSH|^~\\&|LIS|LAB|EPD|GV|20261120083000||ORU^R01|{id}|P|2.5\r"
    "PID|1||1^^^GV^MR||Doe^J||19800415|F\r"
    "OBR|1|O1|F1|14685-2^B12^LN|||20261120080000\r"
    "OBX|1|NM|14685-2^B12^LN||{b12}|pmol/L|||||F"
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MLLPServer]:
    settings = Settings(load_pack("gelderse-vallei"), default_knowledge(), tmp_path / "out",
                        LocalCodes.empty())  # fmt: skip
    settings.out.mkdir()
    with MLLPServer(settings, "127.0.0.1", 0) as running:
        yield running


def _ack(raw: bytes) -> hl7.Message:
    text = raw.decode()
    assert text.startswith("\x0b") and text.endswith("\x1c\r")
    return hl7.parse(text.strip("\x0b\x1c\r"))


def _code(raw: bytes) -> str:
    return str(_ack(raw).segment("MSA")[1])


def test_good_bad_and_rejected_messages_on_one_connection(server: MLLPServer) -> None:
    with MLLPClient(server.host, server.port) as client:
        first = _ack(client.send_message(MSG.format(id="A1", b12=180)))
        bad = _ack(client.send_message(MSG.format(id="A2", b12="abc")))
        rejected = _ack(client.send_message("MSH|^~\\&|X|Y|||2026||ADT^A01|A3|P|2.5\rPID|1"))
        last = _ack(client.send_message(MSG.format(id="A4", b12="<50")))
    assert [str(m.segment("MSA")[1]) for m in (first, bad, rejected, last)] == [
        "AA",
        "AE",
        "AR",
        "AA",
    ]
    assert [str(m.segment("MSA")[2]) for m in (first, bad, rejected, last)] == [
        "A1",
        "A2",
        "A3",
        "A4",
    ]
    assert str(bad.segment("ERR")[2]) == "OBX^1^5" and str(bad.segment("ERR")[3]).startswith("102^")
    assert str(rejected.segment("ERR")[2]) == "MSH^1^9"
    out = server.settings.out
    written = sorted(p.name for p in out.glob("*.hl7"))
    assert len(written) == 2 and written[0].endswith("-A1.hl7") and written[1].endswith("-A4.hl7")
    kept = sorted(p.name for p in (out / "rejected").glob("*.hl7"))
    assert len(kept) == 4  # each rejected message as it came, and its ACK
    interpreted = (out / written[1]).read_text()
    assert "|A4-CBL|" in interpreted and "gecensureerd" in interpreted


def test_concurrent_clients_each_get_their_acks(server: MLLPServer) -> None:
    results: dict[int, list[str]] = {}

    def client(number: int) -> None:
        with MLLPClient(server.host, server.port) as connection:
            results[number] = [
                _code(connection.send_message(MSG.format(id=f"C{number}-{i}", b12=100 + i)))
                for i in range(5)
            ]

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == {n: ["AA"] * 5 for n in range(4)}
    out = server.settings.out
    assert len(list(out.glob("*.hl7"))) == 20


def test_garbage_and_dropped_connections_do_not_stop_the_server(server: MLLPServer) -> None:
    with socket.create_connection((server.host, server.port)) as raw:
        raw.sendall(b"no frame at all\r\n\x0bMSH|^~\\&|half a mess")  # then the client leaves
    with socket.create_connection((server.host, server.port)) as raw:
        raw.sendall(b"\x0bnot hl7\x1c\r")
        assert _code(raw.recv(65536)) == "AR"
    with MLLPClient(server.host, server.port) as client:
        assert _code(client.send_message(MSG.format(id="G1", b12=300))) == "AA"


def test_the_serve_command_listens_and_answers(tmp_path: Path) -> None:
    out = tmp_path / "served"
    command = [sys.executable, "-m", "cobalamin", "hl7", "serve", "--port", "0", "--pack",
               "gelderse-vallei", "--out", str(out), "--lang", "nl"]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert "listening on" in line, line
        port = int(line.split("listening on ")[1].split(" ")[0].rsplit(":", 1)[1])
        with MLLPClient("127.0.0.1", port) as client:
            assert _code(client.send_message(MSG.format(id="S1", b12=180))) == "AA"
        files = list(out.glob("*.hl7"))
        assert len(files) == 1 and "Interpretatie" in files[0].read_text()
        assert "Interpretation (" not in files[0].read_text()  # --lang nl: Dutch only
    finally:
        process.terminate()
        process.wait(timeout=20)
