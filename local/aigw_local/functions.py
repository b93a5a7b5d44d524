"""Loads the three function modules from `functions/` exactly as Lambda would see them.

Each function folder is its own code root on Lambda (its module sits at the top level), so they
are loaded by file location under their unique module names, once per process.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from aigw_local.template import REPO_ROOT

#: Function folder name -> its logical id in template.yaml.
FUNCTIONS = {"inference": "InferenceFunction", "compat": "CompatFunction",
             "management": "ManagementFunction"}


def load_function_module(name: str) -> ModuleType:
    module_name = f"{name}_app"
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = REPO_ROOT / "functions" / name / f"{module_name}.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
