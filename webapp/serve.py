"""Start the dashboard: ``python -m webapp.serve [streamlit options]``.

It is ``streamlit run app.py`` after the heavy imports, done before the server opens so that
the first visitor does not wait for them. (The pages live in views/, not pages/: Streamlit
would take a pages/ folder for its legacy multipage mode and answer « Page not found » to
the first visit of a deep link such as ``/carte?…``, even with a bare ``streamlit run``.)
"""

from __future__ import annotations

import sys

from core.settings import PROJECT_ROOT

APP = PROJECT_ROOT / "app.py"


def command(*options: str, script: str | None = None, bare: bool = False) -> list[str]:
    """The command line that starts the dashboard (or another script) with these options;
    `bare`: plain ``streamlit run``, without this launcher."""
    if bare:
        return [sys.executable, "-m", "streamlit", "run", script or str(APP), *options]
    return [
        sys.executable,
        "-m",
        "webapp.serve",
        *(["--script", script] if script else []),
        *options,
    ]


def _warm_up() -> None:
    """Do before the server starts what the first visitor would otherwise wait for: the
    heavy imports (pandas, DuckDB, Plotly and its validators, the exports' writers).
    Streamlit warns « No runtime found » for each st.cache_data met before its server runs:
    harmless here (the server's runtime caches the pages' calls), so not shown."""
    import logging

    import plotly.graph_objects as go
    from streamlit.runtime.caching import cache_data_api

    def no_runtime_warning(record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("No runtime found")

    cache_data_api._LOGGER.addFilter(no_runtime_warning)
    try:
        from observatoire import charts, disclosure, exports, sheet, warehouse  # noqa: F401
        from observatoire.map import choices, figure, reading, shapes  # noqa: F401
        from webapp import ui  # noqa: F401
    finally:
        cache_data_api._LOGGER.removeFilter(no_runtime_warning)

    go.Figure(go.Bar(x=[1], y=[1])).update_layout(title="x").to_dict()


def main(argv: list[str] | None = None) -> None:
    from streamlit.web import cli

    from core.store import restrict_new_files

    restrict_new_files()
    args = list(sys.argv[1:] if argv is None else argv)
    script = str(APP)
    if args[:1] == ["--script"]:
        script, args = args[1], args[2:]
    if not any(a.startswith("--server.maxUploadSize") for a in args):
        # Streamlit's ceiling follows the page's limit (observatoire/uploads.py).
        from core.settings import get_settings
        from observatoire.uploads import server_max_upload_mb

        limit = server_max_upload_mb(get_settings().upload_max_mb)
        args = [*args, "--server.maxUploadSize", str(limit)]
    _warm_up()
    sys.argv = ["streamlit", "run", script, *args]
    cli.main()


class LocalServer:
    """The dashboard (or another script) served on a free loopback port, on a given warehouse,
    until stop(): for browser tests and benchmarks."""

    def __init__(
        self,
        db,
        *,
        script: str | None = None,
        env: dict | None = None,
        timeout_s: float = 120,
        bare: bool = False,
    ):
        import os
        import subprocess
        import tempfile

        self.port = free_port()
        # A file, not a pipe: a long-running server must never block on a full pipe.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            command(
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                script=script,
                bare=bare,
            ),
            cwd=PROJECT_ROOT,
            env={**os.environ, "OBSERVATOIRE_DB": str(db), **(env or {})},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy(timeout_s)

    def _wait_healthy(self, timeout_s: float) -> None:
        import time
        import urllib.request

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(self.log.read().decode(errors="replace"))
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError("streamlit did not start")

    def stop(self) -> None:
        import subprocess

        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main()
