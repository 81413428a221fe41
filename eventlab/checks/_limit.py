"""A time budget for a learner's function: a runaway answer is stopped, not waited for.

Why a trace hook and not a thread or a subprocess: a thread that times out cannot stop the
function (it keeps burning a core for the rest of the session), and a subprocess with
``spawn`` (the default on macOS and Windows) needs the function to be picklable, which a
function defined in a notebook cell is not. ``sys.settrace`` runs on the kernel's own
thread on every OS: the hook sees each bytecode of the learner's frames and raises
:class:`TimeLimit` inside them once the budget is spent. Library frames (pandas, SimPy,
eventlab) are not traced opcode by opcode, so they keep their speed.

Where the OS has ``SIGALRM`` (Linux, macOS) and we are on the main thread (a Jupyter
kernel runs cells there), an interval timer is armed as well: it also stops a function
that blocks inside C code the trace hook never sees, such as ``time.sleep(10**6)``.

What no hook can stop: a bare ``except:`` (or ``except BaseException``) in the learner's
loop that swallows :class:`TimeLimit` and loops on, and one C call that never returns on
Windows. Both are rare in answers to these exercises.
"""

from __future__ import annotations

import signal
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

TIME_LIMIT = 3.0  # seconds inside the learner's function, for a whole check

_LIBRARIES = tuple(dict.fromkeys(str(Path(p).resolve()) for p in (
    *(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")),
    str(Path(__file__).resolve().parents[1]))))  # the eventlab package itself


class TimeLimit(BaseException):
    """Raised inside the learner's function when the budget is spent.

    A BaseException, so that an answer's ``except Exception:`` cannot swallow it."""


class Forbidden(BaseException):
    """Raised when the learner's function calls a function the exercise asks not to use."""


_learner_files: dict[str, bool] = {}


def _is_learner_code(code: CodeType) -> bool:
    """True for code outside the standard library, installed packages and eventlab."""
    name = code.co_filename
    known = _learner_files.get(name)
    if known is None:
        if name.startswith("<"):  # "<ipython-input-...>", "<string>"; "<frozen os>" is stdlib
            known = not name.startswith("<frozen")
        else:  # a notebook cell is a file in a temporary folder, e.g. /tmp/ipykernel_1/2.py
            known = not str(Path(name).resolve()).startswith(_LIBRARIES)
        _learner_files[name] = known
    return known


class Budget:
    """Seconds the learner's function may run in total, spread over any number of calls."""

    def __init__(self, seconds: float = TIME_LIMIT, *, use_alarm: bool = True,
                 forbidden: Mapping[CodeType, str] | None = None) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
            raise ValueError(f"seconds must be a positive number, got {seconds!r}")
        self.seconds = float(seconds)
        # the code of functions that give the answer away, by name: seen by the call hook
        # however the learner imported them
        self.forbidden = dict(forbidden or {})
        self.left = float(seconds)
        self.use_alarm = use_alarm
        self._deadline = 0.0
        self._ticks = 0

    def _opcode_hook(self, frame: FrameType, event: str, arg: Any) -> Any:
        # reading the clock on every opcode would slow the answer down, every 256th is enough
        self._ticks += 1
        if self._ticks & 0xFF == 0 and time.monotonic() > self._deadline:
            raise TimeLimit
        return self._opcode_hook

    def _call_hook(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event != "call":
            return None
        if frame.f_code in self.forbidden:
            raise Forbidden(self.forbidden[frame.f_code])
        if not _is_learner_code(frame.f_code):
            return None
        if time.monotonic() > self._deadline:
            raise TimeLimit
        frame.f_trace_opcodes = True  # `while True: pass` has no line events in 3.11
        return self._opcode_hook

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)`, raising :class:`TimeLimit` once the budget is spent."""
        if self.left <= 0:
            raise TimeLimit
        start = time.monotonic()
        self._deadline = start + self.left
        previous_trace = sys.gettrace()
        alarm = (self.use_alarm and hasattr(signal, "setitimer")
                 and threading.current_thread() is threading.main_thread())
        previous_handler: Any = None
        if alarm:
            previous_handler = signal.signal(signal.SIGALRM, _on_alarm)
            # the alarm backs the trace hook up, a little later, for blocking C calls
            signal.setitimer(signal.ITIMER_REAL, self.left + 0.5)
        sys.settrace(self._call_hook)
        try:
            return function(*args)
        finally:
            sys.settrace(previous_trace)
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous_handler)
            self.left -= time.monotonic() - start


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeLimit
