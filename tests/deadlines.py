"""``deadline(seconds)``: fail a test instead of hanging the suite (the DataLoader tests use it)."""

import contextlib
import signal


@contextlib.contextmanager
def deadline(seconds):
    """Fail the test (instead of hanging the suite) if the block runs longer than ``seconds``."""
    def expire(signum, frame):
        raise TimeoutError(f"the DataLoader hung for more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
