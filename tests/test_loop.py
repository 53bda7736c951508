"""The application and its tests run on the same event loop: uvloop, wherever it is a dependency."""
from __future__ import annotations

import asyncio
import sys

import pytest

from core import loop

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not build on Windows")


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_the_application_runs_on_uvloop() -> None:
    assert loop.run(_loop_module()).startswith("uvloop")


async def test_the_tests_run_on_the_application_loop() -> None:
    assert (await _loop_module()).startswith("uvloop")
