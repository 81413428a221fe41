"""The image for Kubernetes (repo2docker, as Binder builds it) and the Zero to JupyterHub values.

What can be checked without Docker or a cluster: repo2docker turns the repository into the
expected build (conda environment, Python 3.12, postBuild, a single-user server for the hub),
and the values' postStart hook really makes a learner's copy. `helm lint` against the chart's
own schema runs only where helm and the chart are available (EVENTLAB_Z2JH_CHART).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VALUES = ROOT / "deploy" / "z2jh-values.yaml"
IMAGE_REPO_DIR = "/srv/eventlab"   # repo2docker --target-repo-dir in the values' build line


def values() -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with JupyterLab's dependencies")
    return yaml.safe_load(VALUES.read_text())


needs_repo2docker = pytest.mark.skipif(
    importlib.util.find_spec("repo2docker") is None,
    reason="jupyter-repo2docker is not installed (it is in the hub extra)")


@pytest.fixture(scope="module")
def dockerfile(tmp_path_factory) -> str:
    # --no-build prints the Dockerfile repo2docker would build, without a Docker daemon.
    done = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug", "--no-run",
         "--user-name", "jovyan", "--target-repo-dir", IMAGE_REPO_DIR, str(ROOT)],
        cwd=tmp_path_factory.mktemp("r2d"), capture_output=True, text=True, timeout=120,
        check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


@needs_repo2docker
def test_repo2docker_builds_the_conda_environment_with_python_3_12_and_runs_postbuild(dockerfile):
    assert "Building conda environment for python=3.12" in dockerfile
    assert '--file "environment.yml"' in dockerfile
    assert "RUN ./postBuild" in dockerfile


@needs_repo2docker
def test_the_image_has_the_single_user_server_a_hub_starts():
    spec = importlib.util.find_spec("repo2docker")  # not imported: it warns about its logger
    assert spec is not None
    assert spec.submodule_search_locations
    lock = (Path(next(iter(spec.submodule_search_locations))) / "buildpacks" / "conda"
            / "environment.py-3.12-linux-64.lock")
    assert "/jupyterhub-singleuser-" in lock.read_text()


def test_the_kubernetes_learners_get_the_limits_and_culler_of_the_one_machine_hub():
    from hub.settings import from_env

    local, chart = from_env({}, ROOT), values()
    assert chart["singleuser"]["memory"]["limit"] == f"{local.mem_limit_mb // 1024}G"
    assert chart["singleuser"]["cpu"]["limit"] == local.cpu_limit
    assert chart["cull"]["enabled"] is True
    assert chart["cull"]["timeout"] == local.idle_timeout_s
    assert local.admin in chart["hub"]["config"]["Authenticator"]["admin_users"]


def test_the_poststart_hook_gives_a_learner_a_copy_that_keeps_their_edits(tmp_path):
    command = values()["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert command[:2] == ["sh", "-c"]
    assert IMAGE_REPO_DIR in command[2]
    script = command[2].replace(IMAGE_REPO_DIR, str(ROOT))
    env = {**os.environ, "HOME": str(tmp_path), "PATH": f"{Path(sys.executable).parent}:"
           + os.environ.get("PATH", "")}
    subprocess.run(["sh", "-c", script], env=env, check=True, capture_output=True, timeout=60)
    start = tmp_path / "eventlab" / "notebooks" / "00_start_here.ipynb"
    assert start.read_bytes() == (ROOT / "notebooks" / "00_start_here.ipynb").read_bytes()
    start.write_text("the learner's edit")

    subprocess.run(["sh", "-c", script], env=env, check=True, capture_output=True, timeout=60)

    assert start.read_text() == "the learner's edit"
    assert not (tmp_path / "eventlab" / "notebooks" / "solutions").exists()


@pytest.mark.skipif(shutil.which("helm") is None or not os.environ.get("EVENTLAB_Z2JH_CHART"),
                    reason="helm and the jupyterhub chart (EVENTLAB_Z2JH_CHART=path) are not "
                           "available offline; `helm lint` checks the values against its schema")
def test_the_values_pass_the_charts_own_schema():
    done = subprocess.run(["helm", "lint", os.environ["EVENTLAB_Z2JH_CHART"],
                           "--values", str(VALUES)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
