# A tiny 2-node DDP job (gloo, CPU) for the container tests: trains a linear
# model on fixed data and prints one line per rank, e.g. "ddp rank=1 world=2
# loss=0.0123 synced=1". "synced=1" proves the gradients were all-reduced: the
# ranks end with identical weights although each saw different data.
import os
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
torch.manual_seed(0)
model = DDP(torch.nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
g = torch.Generator().manual_seed(100 + rank)
x = torch.randn(64, 8, generator=g)
y = x.sum(dim=1, keepdim=True)
for _ in range(20):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
w = model.module.weight.detach().clone()
ws = [torch.zeros_like(w) for _ in range(world)]
dist.all_gather(ws, w)
synced = int(all(torch.equal(ws[0], t) for t in ws))
print(f"ddp rank={rank} world={world} loss={loss.item():.4f} synced={synced}", flush=True)
out = os.environ.get("DDP_OUT")
if out and rank == 0:
    with open(out, "w") as f:
        f.write(f"world={world} synced={synced}\n")
dist.destroy_process_group()
