"""Python tools from PyPI for the checking scripts, pinned, in one virtualenv under
.tools/venv (gitignored), installed on first use. Python 3.11 standard library only."""

from __future__ import annotations

import os
import subprocess
import sys

from purrserver import ROOT, log

VENV = os.path.join(ROOT, ".tools", "venv")

# Pinned so that a run means the same thing tomorrow; bump deliberately.
PINS = {
    "schemathesis": "4.32.5",
    "openapi-spec-validator": "0.9.0",
    "openapi-python-client": "0.29.1",
    "standardwebhooks": "1.1.0",  # scripts/webhook-check verifies real deliveries with it
}


def venv_bin(name: str) -> str:
    return os.path.join(VENV, "bin", name)


def python() -> str:
    """The virtualenv's interpreter (its site-packages hold the tools' libraries)."""
    return venv_bin("python")


def tool(package: str, command: str | None = None) -> str:
    """The path of `command` (default: the package's name) from `package` at its pinned
    version, installing it into the virtualenv if it is missing or at another version."""
    exe = venv_bin(command or package)
    library(package, force=not os.path.exists(exe))
    return exe


def library(package: str, force: bool = False) -> str:
    """Installs `package` at its pinned version into the virtualenv if it is missing or at
    another version (or `force`), and returns the virtualenv's interpreter, which imports it."""
    version = PINS[package]
    if not os.path.exists(python()):
        log(f"creating {VENV}")
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    installed = subprocess.run(
        [python(), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if installed != version or force:
        log(f"installing {package} {version} into {VENV}")
        subprocess.run([venv_bin("pip"), "install", "--quiet", f"{package}=={version}"], check=True)
    return python()
