"""Import Apprise quietly: on Python 3.11 and 3.12 its email plugin imports the deprecated
`imghdr` module, whose DeprecationWarning is not ours to fix (tests turn warnings into errors).
Importing `imghdr` once here, with that one warning ignored, keeps later imports silent."""

from __future__ import annotations

import importlib
import sys
import warnings
from types import ModuleType


def load_apprise() -> ModuleType:
    if sys.version_info < (3, 13) and "imghdr" not in sys.modules:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="'imghdr' is deprecated", category=DeprecationWarning
            )
            importlib.import_module("imghdr")
    return importlib.import_module("apprise")
