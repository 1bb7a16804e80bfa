"""The cluster of `make cluster` (scripts/cluster.sh), started once for tests/cluster/ in a
temporary folder on free ports: PostgreSQL, three Streamlit replicas, HAProxy.

These tests take a few minutes and need PostgreSQL and HAProxy (installed by the script when
root): they run with ``make test-cluster`` (CI, after ``make test``) and are skipped by a plain
``pytest`` unless OBSERVATOIRE_CLUSTER_TEST=1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "cluster.sh"
REPLICAS = 3


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "cluster: end-to-end test of `make cluster` (PostgreSQL, replicas, HAProxy)"
    )


def pytest_collection_modifyitems(config, items):
    wanted = os.environ.get("OBSERVATOIRE_CLUSTER_TEST") == "1"
    skip = pytest.mark.skip(reason="test du cluster : make test-cluster")
    for item in items:
        if "/cluster/" in str(item.fspath):
            item.add_marker(pytest.mark.cluster)
            if not wanted:
                item.add_marker(skip)


def free_ports(count: int) -> int:
    """The first of COUNT consecutive free loopback ports."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65000:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first


@dataclass
class Cluster:
    state: Path
    url: str
    env: dict[str, str]  # the cluster's warehouse settings (cluster.env) over os.environ
    script_env: dict[str, str]

    @property
    def lake(self) -> bool:
        """True when the warehouse was built in the lake (Parquet files in its data folder),
        False on a version of the project that only knows the file warehouse."""
        data = Path(self.env["OBSERVATOIRE_LAKE_DATA"])
        return any(data.rglob("*.parquet"))

    def script(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", str(SCRIPT), command],
            cwd=ROOT,
            env=self.script_env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def etl(self, *args: str, **popen) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "etl", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            **popen,
        )

    def replica_pid(self, i: int) -> int:
        return int((self.state / f"replica-{i}.pid").read_text())

    def haproxy_status(self) -> dict[str, str]:
        """Server name → status (UP, DOWN, …) as HAProxy's health checks see it."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.state / "haproxy.sock"))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {
            r["svname"]: r["status"] for r in rows if r.get("pxname") == "replicas" and r["svname"]
        }


def read_env_file(path: Path) -> dict[str, str]:
    """KEY='value' lines of cluster.env."""
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value.strip("'")
    return values


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    if not shutil.which("bash"):
        pytest.fail("bash introuvable")
    # Not under pytest's tmp_path: its folders are owner-only, and PostgreSQL runs as another
    # user when the tests run as root.
    state = Path(tempfile.mkdtemp(prefix="observatoire-cluster-"))
    state.chmod(0o755)
    first = free_ports(REPLICAS + 2)
    script_env = {
        **os.environ,
        "REPLICAS": str(REPLICAS),
        "CLUSTER_DIR": str(state),
        "CLUSTER_ADDRESS": "127.0.0.1",
        "CLUSTER_PORT": str(first),
        "CLUSTER_PG_PORT": str(first + 1),
        "CLUSTER_REPLICA_PORT": str(first + 2),
        "PY": sys.executable,
    }
    started = subprocess.run(
        ["bash", str(SCRIPT), "start"],
        cwd=ROOT,
        env=script_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    env = {**os.environ, **read_env_file(state / "cluster.env")} if started.returncode == 0 else {}
    made = Cluster(state, f"http://127.0.0.1:{first}", env, script_env)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"http://localhost:{first}" in started.stdout
        yield made
    finally:
        stopped = made.script("stop")
        shutil.rmtree(state, ignore_errors=True)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
