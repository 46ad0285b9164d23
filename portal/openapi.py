"""``python -m portal.openapi`` prints the portal's OpenAPI document.

docs/portal-api.json is this output, committed, so that API changes show up in
review; a test fails when the two drift apart.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from portal.app import create_app


def openapi_document() -> dict[str, Any]:
    app = create_app(":memory:")
    try:
        return app.openapi()
    finally:
        app.state.store.close()


def render() -> str:
    return json.dumps(openapi_document(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
