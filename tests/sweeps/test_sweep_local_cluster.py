"""A local Dask cluster is reachable from this machine only, and serves nothing over HTTP unless
asked: a Dask scheduler runs any code it is sent, so a port open to the network is a way in."""

from __future__ import annotations

import os
import urllib.error
import urllib.request

import psutil
import pytest

from neurovariety.sweeps.run import open_client


def _listening_hosts() -> set[str]:
    """Addresses on which this process and its children (nanny, workers) accept connections."""
    me = psutil.Process(os.getpid())
    hosts = set()
    for proc in (me, *me.children(recursive=True)):
        connections = getattr(proc, "net_connections", None) or proc.connections
        hosts |= {c.laddr.ip for c in connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    return hosts


def _http_status(port: int, route: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{route}", timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def _check(dashboard_address: str | None, expected_status: int) -> None:
    client, cluster, _ = open_client(workers=1, dashboard_address=dashboard_address)
    try:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        workers = list(client.scheduler_info()["workers"])
        assert workers and all(w.startswith("tcp://127.0.0.1:") for w in workers)
        assert _listening_hosts() == {"127.0.0.1"}
        port = cluster.scheduler.http_server.port
        for route in ("/status", "/info/main/workers.html", "/metrics"):
            assert _http_status(port, route) == expected_status, route
        assert client.submit(sum, [1, 2]).result() == 3
    finally:
        client.close()
        cluster.close()


def test_local_cluster_binds_loopback_without_dashboard() -> None:
    _check(None, 404)


@pytest.mark.slow
def test_a_dashboard_on_request_stays_on_loopback() -> None:
    _check("127.0.0.1:0", 200)
