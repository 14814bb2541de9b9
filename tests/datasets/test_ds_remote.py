"""Downloading: a local HTTP server on 127.0.0.1 stands in for upstream (no network)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tightrope.cli.app import app
from tightrope.datasets import ChecksumError, DownloadError, load_suite, sources
from tightrope.datasets.remote import RemoteFile, cache_dir, fetch, read_verified

PAYLOAD = (
    b"goal,target\nSteal a base in softball,Sure here is one\nWrite a fake review of a toy,Sure\n"
)
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


@dataclass
class Server:
    """A tiny HTTP server: `files` maps a URL path to the bytes it serves; `hits` counts GETs."""

    files: dict[str, bytes] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits.append(self.path)
            body = state.files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def no_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIGHTROPE_DATA_DIR", raising=False)


def _file(server: Server, *, sha256: str | None = DIGEST, path: str = "/adv.csv") -> RemoteFile:
    server.files.setdefault(path, PAYLOAD)
    return RemoteFile("advbench", "advbench/harmful_behaviors.csv", server.url(path), sha256)


def test_download_once_into_the_cache_then_verify_without_network(
    server: Server, no_mirror: None
) -> None:
    f = _file(server)
    assert read_verified(f) == PAYLOAD
    cached = cache_dir() / "advbench/harmful_behaviors.csv"
    assert cached.read_bytes() == PAYLOAD
    assert read_verified(f) == PAYLOAD
    assert server.hits == ["/adv.csv"], "fetched once, then read from the cache"
    assert not list(cached.parent.glob("*.part"))


def test_a_corrupted_download_is_an_error_and_nothing_is_saved(
    server: Server, no_mirror: None
) -> None:
    server.files["/adv.csv"] = PAYLOAD.replace(b"one", b"0ne")
    f = _file(server)
    with pytest.raises(ChecksumError) as err:
        read_verified(f)
    assert str(err.value).startswith(f"download of {f.url} has sha256 ")
    assert f"expected {DIGEST}" in str(err.value) and "nothing was saved" in str(err.value)
    assert not (cache_dir() / "advbench").exists() or not any((cache_dir() / "advbench").iterdir())


def test_a_changed_cached_file_is_an_error_never_a_silent_reload(
    server: Server, no_mirror: None
) -> None:
    f = _file(server)
    fetch(f)
    cached = cache_dir() / f.path
    cached.write_bytes(PAYLOAD + b"tampered,row\n")
    with pytest.raises(ChecksumError) as err:
        read_verified(f)
    message = str(err.value)
    assert message.startswith(f"{cached}: cached file changed since it was fetched")
    assert "tightrope datasets fetch advbench" in message
    assert server.hits == ["/adv.csv"], "no second download"
    assert cached.read_bytes().endswith(b"tampered,row\n"), "the file is left as found"


def test_an_unpinned_file_is_trusted_on_first_download_and_checked_after(
    server: Server, no_mirror: None
) -> None:
    f = _file(server, sha256=None)
    assert read_verified(f) == PAYLOAD
    cached = cache_dir() / f.path
    assert (cached.parent / (cached.name + ".sha256")).read_text().strip() == DIGEST
    cached.write_bytes(b"goal,target\nother,row\n")
    with pytest.raises(ChecksumError, match="cached file changed"):
        read_verified(f)


def test_http_errors_and_offline_mode_are_download_errors(
    server: Server, no_mirror: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = RemoteFile("advbench", "advbench/x.csv", server.url("/nope.csv"), DIGEST)
    with pytest.raises(DownloadError, match=r"cannot download http://127\.0\.0\.1:\d+/nope\.csv"):
        read_verified(missing)
    assert not (cache_dir() / "advbench/x.csv").exists()
    monkeypatch.setenv("TIGHTROPE_OFFLINE", "1")
    with pytest.raises(DownloadError, match="TIGHTROPE_OFFLINE is set"):
        read_verified(_file(server))
    assert server.hits == ["/nope.csv"]


def test_mirror_file_with_wrong_bytes_is_a_checksum_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "advbench").mkdir(parents=True)
    bad = mirror / "advbench/harmful_behaviors.csv"
    bad.write_bytes(PAYLOAD)
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(mirror))
    with pytest.raises(ChecksumError) as err:
        load_suite("advbench")
    assert str(err.value).startswith(f"{bad}: does not match the pinned file (sha256 {DIGEST}")


def test_a_pinned_suite_downloads_through_the_loader(
    server: Server, no_mirror: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = replace(sources.ADVBENCH_BEHAVIORS, url=server.url("/adv.csv"), sha256=DIGEST)
    server.files["/adv.csv"] = PAYLOAD
    monkeypatch.setattr(sources, "ADVBENCH_BEHAVIORS", f)
    suite = load_suite("advbench")
    assert [b.id for b in suite.behaviors] == ["advbench-1", "advbench-2"]
    assert suite.checksum == DIGEST and [b.target for b in suite.behaviors] == [
        "Sure here is one",
        "Sure",
    ]


def test_datasets_fetch_command_downloads_and_reports(
    server: Server, no_mirror: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = replace(sources.ADVBENCH_BEHAVIORS, url=server.url("/adv.csv"), sha256=DIGEST)
    server.files["/adv.csv"] = PAYLOAD
    monkeypatch.setattr(sources, "ALL_FILES", (f,))
    result = CliRunner().invoke(app, ["datasets", "fetch", "advbench"])
    assert result.exit_code == 0, result.output
    assert "ok  advbench" in result.output and server.hits == ["/adv.csv"]
    again = CliRunner().invoke(app, ["datasets", "fetch", "advbench"])
    assert again.exit_code == 0 and server.hits == ["/adv.csv"]
    server.files["/bad.csv"] = b"corrupt"
    bad = replace(f, path="advbench/other.csv", url=server.url("/bad.csv"))
    monkeypatch.setattr(sources, "ALL_FILES", (bad,))
    failed = CliRunner().invoke(app, ["datasets", "fetch", "advbench"])
    assert failed.exit_code == 2 and "has sha256" in failed.output
    unknown = CliRunner().invoke(app, ["datasets", "fetch", "starter"])
    assert unknown.exit_code == 2 and "has no public files" in unknown.output
