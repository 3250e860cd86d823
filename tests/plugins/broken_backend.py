"""A plugin whose import fails: it must be reported ``failed`` without stopping the others."""

import plexgrad_module_that_does_not_exist  # noqa: F401
