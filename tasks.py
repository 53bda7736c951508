#!/usr/bin/env python3
"""Set-up commands that work on a fresh machine with nothing but Python 3.11+.

    python3 tasks.py demo   # offline demo on the paper exchange
    python3 tasks.py test   # the whole test suite

Each creates ./.venv when it is missing, installs the project into it (with the
test extra for `test`) and compiles the gettext catalogs, then runs. Extra
arguments after `test` go to pytest.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / ".installed"


def _run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env)
    if result.returncode:
        sys.exit(result.returncode)


def ensure_env(extra: str) -> None:
    """Create the venv and install the project once per pyproject content and extra."""
    if sys.version_info < (3, 11):
        sys.exit("copytrade needs Python 3.11 or newer")
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extra.encode()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        _run(PY, "-m", "pip", "install", "-q", "--upgrade", "pip")
        target = f".[{extra}]" if extra else "."
        _run(PY, "-m", "pip", "install", "-q", "-e", target)
        STAMP.write_text(digest)
    compile_catalogs()


def compile_catalogs() -> None:
    """Build .mo files from locales/*/LC_MESSAGES/*.po (they are not committed)."""
    _run(PY, "-c", "from bot.i18n import compile_catalogs; compile_catalogs()")


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"demo", "test"}:
        sys.exit(__doc__)
    command, rest = argv[0], argv[1:]
    if command == "demo":
        ensure_env("")
        _run(PY, "-m", "bot.cli", "demo", *rest)
    else:
        ensure_env("test")
        _run(PY, "-m", "pytest", *rest)


if __name__ == "__main__":
    main(sys.argv[1:])
