"""The course package: what the notebooks import.

- ``llmcourse.env``: device choice, CPU threads and seeding, the same on a laptop, a grading server and Colab.
- ``llmcourse.data``: the course's datasets (tiny Shakespeare), found offline or downloaded and verified.
- ``llmcourse.checks``: visible checks that say what is wrong and hint at why.
- ``llmcourse.plots``: attention heatmaps and other pictures the notebooks share.
"""
from llmcourse.env import get_device, seed_everything, set_cpu_threads

__version__ = "0.1.0"
__all__ = ["get_device", "seed_everything", "set_cpu_threads", "__version__"]
