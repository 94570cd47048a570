"""Why `llmcourse.set_cpu_threads` leaves a core free: the gpt notebook's training step, timed with
1 thread and with every core, on an idle machine and with one core kept busy by another program.

    python benchmarks/cpu_threads.py            # 30 steps each, prints seconds per step

PyTorch's CPU threads spin while they wait for each other; when another program holds a core,
a step that uses every core waits on the slowest thread. Measured on a 2-core machine (the issue's
figures: 0.54 to 0.79 s a step with 2 threads on a busy machine, 0.10 s with one).
"""
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from solution_cells import solution_namespace  # noqa: E402

from llmcourse.env import usable_cores  # noqa: E402

STEPS = 30
SPIN = "import time\nend = time.time() + 600\nwhile time.time() < end: pass"


def seconds_per_step(nb: dict, threads: int) -> float:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = nb["GPTConfig"](vocab_size=65, block_size=64, n_layer=4, n_head=4, d_model=128, tie_weights=True)
    model = nb["GPT"](config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x, y = torch.randint(0, 65, (12, 64)), torch.randint(0, 65, (12, 64))
    for step in range(5 + STEPS):
        if step == 5:
            start = time.perf_counter()
        _, loss = model(x, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / STEPS


def main():
    nb = solution_namespace("gpt", ["setup", "data", "given_model", "layernorm", "block", "gpt"])
    cores = usable_cores()
    counts = sorted({1, cores})
    idle = {n: seconds_per_step(nb, n) for n in counts}
    spinner = subprocess.Popen([sys.executable, "-c", SPIN])
    try:
        time.sleep(1)
        busy = {n: seconds_per_step(nb, n) for n in counts}
    finally:
        spinner.kill()
    print(f"gpt training step, {cores} usable cores, {STEPS} steps each (seconds per step)")
    print("threads   idle    one core busy")
    for n in counts:
        print(f"{n:>7}   {idle[n]:.3f}   {busy[n]:.3f}")


if __name__ == "__main__":
    main()
