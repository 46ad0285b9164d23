"""docs/portal-api.json must match the API the code serves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from portal.openapi import render

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "portal-api.json"


def test_committed_openapi_document_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/portal-api.json is out of date with portal/: run `make api-doc` and commit it"
    )


def test_openapi_document_describes_the_kiosk_api():
    paths = json.loads(render())["paths"]

    assert {
        "/api/v1/payments",
        "/api/v1/sync/batch",
        "/api/v1/catalogue",
        "/open311/v2/requests.json",
    } <= set(paths)
    assert not any(path.startswith("/_faults") for path in paths)
    parameters = {p["name"] for p in paths["/api/v1/payments"]["post"]["parameters"]}
    assert "Idempotency-Key" in parameters


def test_module_prints_the_document():
    result = subprocess.run(
        [sys.executable, "-m", "portal.openapi"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == render()
