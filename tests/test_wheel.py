"""A wheel, installed (not editable) in a fresh venv, runs the demo and its report.

The wheel is built offline from this checkout (setuptools from the dev extra,
``--no-build-isolation``). The fresh venv gets apiprobe from the wheel only;
its third-party dependencies come from the test's own environment through a
``.pth`` path entry (so the test needs no network), and the editable install
of the development venv is not on its path. The notebooks must come from the
installed package: the report runs in a folder with no ``notebooks/`` beside it.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: What a source copy for the build leaves out.
SKIP = (".git", ".venv", "build", "*.egg-info", "reports", "data", "__pycache__", ".*_cache")

pytestmark = pytest.mark.slow


def _run(cmd: list[str | Path], **kw: object) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    assert res.returncode == 0, f"{cmd} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh venv with apiprobe installed from a freshly built wheel."""
    try:
        import setuptools

        if tuple(int(p) for p in setuptools.__version__.split(".")[:2]) < (70, 1):
            pytest.skip(f"setuptools {setuptools.__version__} cannot build the wheel offline (need ≥ 70.1)")
    except ImportError:
        pytest.skip("setuptools is not installed (pip install -e '.[dev]')")
    tmp = tmp_path_factory.mktemp("wheel")
    # build from a copy of the sources: setuptools reuses a build/ folder, which in a working
    # checkout may still hold modules that were moved away since
    src = tmp / "src"
    shutil.copytree(REPO, src, symlinks=True, ignore=shutil.ignore_patterns(*SKIP))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp / "dist", src])
    (wheel,) = (tmp / "dist").glob("apiprobe-*.whl")
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    _run([bin_dir / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel])
    # dependencies: this environment's site-packages as plain path entries (their .pth files,
    # among them the editable apiprobe of the dev venv, are not processed that way)
    purelib = subprocess.run(
        [bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
    Path(purelib, "apiprobe_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    return bin_dir


def test_wheel_holds_notebooks_and_runs_the_demo_report(installed: Path, tmp_path: Path) -> None:
    # nbconvert's templates are data files of the dependencies (this environment's share/jupyter);
    # the kernel spec goes to a fresh user data dir, which Jupyter searches first
    env = {
        **os.environ,
        "JUPYTER_DATA_DIR": str(tmp_path / "jupyter"),
        "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter"),
    }
    env.pop("PYTHONPATH", None)
    where = _run([installed / "python", "-c", "import apiprobe; print(apiprobe.__file__)"], cwd=tmp_path, env=env)
    assert str(installed.parent) in where.stdout, f"apiprobe imported from {where.stdout.strip()}, not the wheel"
    # the kernel the report starts must be this venv's python, so it imports the wheel too
    _run([installed / "python", "-m", "ipykernel", "install", "--user", "--name", "python3"], env=env)

    _run([installed / "apiprobe", "demo", "--out", "data"], cwd=tmp_path, env=env)
    res = _run([installed / "apiprobe", "report", "--demo", "--data", "data", "--out", "report"], cwd=tmp_path, env=env)
    assert not (tmp_path / "notebooks").exists()
    findings = json.loads((tmp_path / "report" / "findings.json").read_text())
    assert findings["ok"], [r["error"] for r in findings["runs"] if not r["ok"]]
    assert len(findings["runs"]) >= 10 and findings["findings"]
    assert (tmp_path / "report" / "index.html").is_file(), res.stdout[-2000:]
    spec = json.loads((tmp_path / "jupyter" / "kernels" / "python3" / "kernel.json").read_text())
    assert spec["argv"][0].startswith(str(installed.parent)), "the report ran on another interpreter"
