"""The core must run without a display: no Kivy below screens/."""

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE_PACKAGES = ("kiosk", "offline", "drivers", "portal", "provisioning")


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_no_core_module_imports_kivy_or_screens():
    offenders = []
    for package in CORE_PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            for name in _imports(path):
                if name.split(".")[0] in ("kivy", "screens"):
                    offenders.append(f"{path.relative_to(REPO)} imports {name}")
    assert not offenders, offenders


def test_importing_the_whole_core_loads_no_kivy():
    modules = [
        str(p.relative_to(REPO).with_suffix("")).replace("/", ".").removesuffix(".__init__")
        for package in CORE_PACKAGES
        for p in (REPO / package).rglob("*.py")
        if p.name not in ("__main__.py",)
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'kivy' or m.startswith('kivy.'))\n"
        "assert not loaded, loaded\n"
        "print(len(%r))\n" % modules
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 20
