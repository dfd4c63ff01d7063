"""Layering rules: the core, the engines and the lessons' models run without Qt, and nothing pulls in
torch until a lesson is built with the torch engine."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QT_MODULES = ("PySide6", "pyqtgraph", "superqt", "qtpy")
QT_FREE = [ROOT / "visualizer" / "core", ROOT / "visualizer" / "scratch", ROOT / "visualizer" / "torch_backend"]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_qt_free_packages_do_not_import_qt():
    offenders = []
    files = [p for d in QT_FREE for p in d.rglob("*.py")]
    files += [p for p in (ROOT / "lessons").rglob("*.py") if p.name != "view.py"]
    for path in files:
        bad = _imported_modules(path) & set(QT_MODULES)
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, "\n".join(offenders)


def test_discovering_lessons_imports_neither_qt_nor_torch():
    code = ("import sys; from visualizer.core import registry; ids = list(registry.discover()); "
            "bad = [m for m in ('torch', 'PySide6', 'pyqtgraph') if m in sys.modules]; "
            "print(len(ids)); assert not bad, bad")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.strip()) >= 1


def test_import_contracts_hold():
    """import-linter's contracts in pyproject.toml: lessons never import another lesson; the core imports no
    engine and no Qt; only visualizer.ui and lesson view modules import Qt."""
    import shutil
    exe = shutil.which("lint-imports")
    assert exe, "import-linter is a test dependency (pip install -e '.[test]')"
    r = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "broken" not in r.stdout.lower().split("contracts:")[-1] or "0 broken" in r.stdout.lower()
