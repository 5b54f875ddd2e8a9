"""Integration tests against signsim started by Testcontainers (Python).

    pip install "testcontainers>=4.15" pytest
    pytest test_signsim.py

Needs Docker (or a Docker-compatible engine) where the tests run. The fixture starts the signsim
image once for the module, waits until its control API answers /__admin/health, and stops it
afterwards; each test starts from the scenario's initial state (POST /__admin/reset).
"""

import json
import urllib.request

import pytest
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import HttpWaitStrategy

IMAGE = "ghcr.io/signsim/signsim:0.2.0"


@pytest.fixture(scope="module")
def signsim_url():
    container = (
        DockerContainer(IMAGE)
        .with_exposed_ports(8080)
        # Freeze signsim's clock: dates and certificates are the same on every run.
        .with_env("SIGNSIM_CLOCK", "2026-06-01T08:00:00Z")
        .waiting_for(HttpWaitStrategy(8080, "/__admin/health").for_status_code(200))
    )
    with container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(8080)
        yield f"http://{host}:{port}"


@pytest.fixture(autouse=True)
def reset(signsim_url):
    """Each test starts from the scenario's initial state (milliseconds, no restart)."""
    post(f"{signsim_url}/__admin/reset")


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def post(url):
    request = urllib.request.Request(url, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def refused(signsim_url):
    """What signsim refused since the last reset, each request with its "diagnostics" (why):
    the message to fail with."""
    entries = get(f"{signsim_url}/__admin/requests?success=false")
    return "signsim refused: " + json.dumps(entries, indent=2, ensure_ascii=False)


def test_ca_list(signsim_url):
    # Your client's tests go here: point it at f"{signsim_url}/api" (PKI gateway) and
    # signsim_url (Podpishi.Online).
    answer = get(f"{signsim_url}/api/GetCAList?Customercode=10320874334")
    assert answer["IsSuccess"] is True, refused(signsim_url)
