"""What the launcher runs in each rank's process: the user's script as ``__main__``, with an
uncaught exception's traceback also written to ``PLEXGRAD_ERROR_FILE`` (JSON), so the launcher
can report the failing rank's traceback (torchrun's error files)."""

__all__ = ["main", "ERROR_FILE_VARIABLE"]

import json
import os
import runpy
import sys
import traceback

ERROR_FILE_VARIABLE = "PLEXGRAD_ERROR_FILE"


def _record(error):
    path = os.environ.get(ERROR_FILE_VARIABLE)
    if not path:
        return
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    try:
        with open(path + ".tmp", "w") as handle:
            json.dump({"rank": os.environ.get("RANK"), "pid": os.getpid(), "traceback": text,
                       "message": f"{type(error).__name__}: {error}"}, handle)
        os.replace(path + ".tmp", path)
    except OSError:
        pass


def _remember_exit_code(code):
    """A rank that leaves while its peers still wait skips MPI_Finalize: give it this status."""
    exit_state = sys.modules.get("plexgrad.distributed.exit_state")
    if exit_state is not None:
        exit_state.record_exit_code(code if isinstance(code, int) else (0 if code is None else 1))


def main(argv=None):
    """``launched_rank [-m] target args...``: run ``target`` (a script path, or a module with -m)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    as_module = bool(argv) and argv[0] == "-m"
    if as_module:
        argv = argv[1:]
    if not argv:
        print("usage: python -m plexgrad.distributed.launched_rank [-m] script.py [args...]", file=sys.stderr)
        return 2
    target = argv[0]
    sys.argv = argv
    try:
        if as_module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as leaving:
        _remember_exit_code(leaving.code)
        raise
    except BaseException as error:
        _record(error)
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
