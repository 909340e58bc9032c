# SPDX-License-Identifier: Apache-2.0
"""kftrainer: Kubeflow Trainer v2 from Python, over libkftrainer (ctypes).

    from kftrainer import TrainerClient, CustomTrainer
    client = TrainerClient()                       # backend="local": processes here
    name = client.train(runtime="torch-distributed",
                        trainer=CustomTrainer(command=["python3", "-c", "print('hi')"],
                                              num_nodes=2))
    client.wait_for_job_status(name)
    for line in client.get_job_logs(name):
        print(line)

The shared library is found through $KFTRAINER_LIBRARY, then the normal
loader path (libkftrainer.so.0); it is loaded on first use.
"""

from . import errors
from .client import (ContainerBackendConfig, KubernetesBackendConfig, LocalProcessBackendConfig,
                     TrainerClient, render_trainjob)
from .errors import *  # noqa: F401,F403
from .types import *  # noqa: F401,F403
from . import types as _types
from . import _ffi
from ._logging import disable_library_logging, enable_library_logging

__version__ = "0.1.0"


def library_version():
    """The loaded libkftrainer's version string (loads the library)."""
    return _ffi.lib().kft_version_string().decode()


def library_path():
    """Where the loaded libkftrainer came from (loads the library)."""
    return _ffi.lib().path


__all__ = (["TrainerClient", "KubernetesBackendConfig", "LocalProcessBackendConfig",
            "ContainerBackendConfig", "render_trainjob", "library_version", "library_path",
            "enable_library_logging", "disable_library_logging", "errors"]
           + list(errors.__all__) + list(_types.__all__))
