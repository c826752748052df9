"""Test configuration shared by every module."""

import os

from hypothesis import settings

# On CI, property tests explore a fixed sequence of examples so a run can be repeated exactly;
# locally they draw new examples each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
