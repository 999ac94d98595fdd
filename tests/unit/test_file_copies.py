"""Downloading a shared file: only from Slack's hosts, and never Slack's sign-in page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from slack_sdk import WebClient

from bot.slack.files import FileCopier


class _Files(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        page = self.path.endswith("/page")
        body = b"<html><title>Sign in | Slack</title></html>" if page else b"\x89PNG shot"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8" if page else "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def host() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_file_comes_from_the_configured_slack_host_only(host: str) -> None:
    copier = FileCopier(WebClient("xoxb-x"), "xoxb-x", f"{host}/api/")
    assert copier._download(f"{host}/files-pri/T1-F1/shot.png") == b"\x89PNG shot"
    elsewhere = FileCopier(WebClient("xoxb-x"), "xoxb-x", "https://slack.com/api/")
    assert elsewhere._download(f"{host}/files-pri/T1-F1/shot.png") is None  # token stays home


def test_slacks_sign_in_page_is_not_taken_for_the_file(host: str) -> None:
    copier = FileCopier(WebClient("xoxb-x"), "xoxb-x", f"{host}/api/")
    assert copier._download(f"{host}/files-pri/T1-F1/page") is None
