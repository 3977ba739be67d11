"""The one place that keeps notice-qa offline: Hugging Face, Chroma and Gradio never reach the network.

Every entry point calls ``go_offline()`` before anything imports huggingface, transformers, chromadb or gradio;
the model loader calls it again with ``force=True`` right before it reads the model folder.
"""

from __future__ import annotations

import os

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",  # the model always comes from disk
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",  # chromadb's telemetry
    "GRADIO_ANALYTICS_ENABLED": "False",
}


def go_offline(*, force: bool = False) -> None:
    """Set the offline variables; a deployer's own value stands unless ``force``."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        if force:
            os.environ[name] = value
        else:
            os.environ.setdefault(name, value)
