"""The course package: what the notebooks import.

- ``llmcourse.env``: device choice, CPU threads and seeding, the same on a laptop, a grading server and Colab.
- ``llmcourse.data``: tiny Shakespeare, found offline or downloaded and verified.
- ``llmcourse.checks``: visible checks that say what is wrong and hint at why; ``genuine`` for hidden tests.
- ``llmcourse.handin``: the hand-in checklist that ends every assignment.
- ``llmcourse.plots``: every picture: attention heatmaps and explorer, token spans and BPE merges, CartPole and RL curves, computation graphs.
- ``llmcourse.corpora``: the book's own text as a small corpus (the tokenizer assignment).
- ``llmcourse.pretrained``: the pretrained character-level GPT and its final hidden states (the lora, patching and rlhf assignments).
- ``llmcourse.sft``: the instruction datasets (the lora assignment).
- ``llmcourse.preferences``: the preference pairs, their labeller and a fast sampler (the rlhf assignment).
- ``llmcourse.induction``: the two-layer induction model and its task (the patching assignment).
- ``llmcourse.rl``: probe environments, episodes and a progress bar over environment steps (the ppo assignment).
- ``llmcourse.distributed_demo``: one real data-parallel step with ``torch.distributed``, two CPU processes (the architecture assignment).
- ``llmcourse.scaling_runs``: the course's own grid of small training runs and a held-out one (the scaling assignment).
- ``llmcourse.evals``: cloze items with an answer key, multiple-choice and exact-match scoring, Wilson intervals and a paired bootstrap (the book's evaluation demo).
- ``llmcourse.arithmetic``: two-digit sums in a fixed format, their split, greedy decoding and pass@k (the reasoning assignment; its model is the ``arithmetic`` checkpoint).

No reference solution lives here: a student's kernel can read this package.
"""
from llmcourse.env import get_device, seed_everything, set_cpu_threads

__version__ = "0.1.0"
__all__ = ["get_device", "seed_everything", "set_cpu_threads", "__version__"]
