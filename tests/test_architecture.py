import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "qa_service"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_the_web_layer():
    offenders = {
        str(path.relative_to(CORE)): sorted(_imports(path) & {"fastapi", "starlette", "api"})
        for path in CORE.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_core_modules_exist():
    assert (CORE / "pipeline" / "run.py").is_file()
    assert len(list(CORE.rglob("*.py"))) > 10
