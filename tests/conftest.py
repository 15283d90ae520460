"""The unit tests' set-up: a private cache folder per test session, real data, a local HTTP server."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("agg")  # in this process only: notebook kernels keep their inline backend

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def data_root() -> Path | None:
    """The folder of real datasets: CNNCOURSE_DATA, else ../shared/data beside the checkout."""
    value = os.environ.get("CNNCOURSE_DATA")
    if value:
        return Path(value)
    return SHARED_DATA if SHARED_DATA.is_dir() else None


@pytest.fixture(scope="session", autouse=True)
def _real_data(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Point the course at the real data and keep converted tensors in a folder of this test run."""
    root = data_root()
    if root is not None:
        os.environ["CNNCOURSE_DATA"] = str(root)
    if "CNNCOURSE_CACHE" not in os.environ:
        os.environ["CNNCOURSE_CACHE"] = str(tmp_path_factory.mktemp("cnncourse-cache"))


@pytest.fixture
def needs_data() -> Path:
    """Skip a test with a clear message when no real data is available."""
    root = data_root()
    if root is None:
        pytest.skip("No real data: set CNNCOURSE_DATA to a folder with the course's datasets.")
    return root


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    cut: frozenset[str] = frozenset()  # paths sent only half way, as when a connection breaks

    def copyfile(self, source, outputfile) -> None:
        if self.path.lstrip("/") in self.cut:
            outputfile.write(source.read(os.fstat(source.fileno()).st_size // 2))  # Content-Length says all of it
        else:
            super().copyfile(source, outputfile)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def serve():
    """Start an HTTP server on 127.0.0.1 for a folder; yield a function (folder, cut paths) -> base URL."""
    servers = []

    def start(folder: Path, cut: tuple[str, ...] = ()) -> str:
        handler_class = type("Handler", (QuietHandler,), {"cut": frozenset(cut)})
        handler = functools.partial(handler_class, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()  # quick to shut down
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
