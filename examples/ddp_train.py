"""A tiny PyTorch DistributedDataParallel job for the libkftrainer demo.

Runs on CPU with the gloo backend under torchrun (which reads the PET_* env
that libkftrainer's plan gives every node, as Kubeflow Trainer does in pods).
Each rank trains on its own shard of a synthetic regression problem; DDP
averages the gradients, so the loss falls on every rank and all ranks end
with bit-identical parameters (printed as a SHA-256 of the weights).
"""
import hashlib
import os
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

STEPS = int(os.environ.get("DEMO_STEPS", "60"))


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    node = os.environ.get("GROUP_RANK", "?")
    print(f"rank {rank}/{world} on node {node}: torch {torch.__version__}, "
          f"master {os.environ.get('MASTER_ADDR')}:{os.environ.get('MASTER_PORT')}", flush=True)

    torch.manual_seed(0)  # same initial weights everywhere (DDP also broadcasts rank 0's)
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))
    ddp = DDP(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
    loss_fn = torch.nn.MSELoss()

    gen = torch.Generator().manual_seed(1000 + rank)  # each rank: its own data
    w_true = torch.linspace(-1.0, 1.0, 8).unsqueeze(1)
    first = last = None
    for step in range(STEPS):
        x = torch.randn(64, 8, generator=gen)
        y = torch.sin(x @ w_true) + 0.01 * torch.randn(64, 1, generator=gen)
        loss = loss_fn(ddp(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if first is None:
            first = loss.item()
        last = loss.item()
        if step % 10 == 0 or step == STEPS - 1:
            print(f"rank {rank} step {step:3d} loss {loss.item():.5f}", flush=True)

    digest = hashlib.sha256()
    for p in model.parameters():
        digest.update(p.detach().contiguous().numpy().tobytes())
    print(f"rank {rank} loss {first:.5f} -> {last:.5f}", flush=True)
    print(f"rank {rank} params-sha256 {digest.hexdigest()}", flush=True)
    dist.destroy_process_group()
    if not last < first:
        print(f"rank {rank}: loss did not fall", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
