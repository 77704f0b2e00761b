#!/usr/bin/env python3
"""Prints the PyTorch reference numbers that tests/optim/*.cpp hold as constants.

Run by hand (the tests do not run it, and python3-torch is not a dependency of the project):
    apt-get install python3-torch        # Debian bookworm: torch 1.13.1
    /usr/bin/python3 tests/optim/pytorch_reference.py
Each block prints the C++ initialiser list pasted into the test named in its heading. Every
trajectory starts at p = [1, -2, 0.5] (float64) and takes the gradient of
loss = sum(p**2) + sum(p), i.e. g = 2p + 1, at the current p.
"""
import math

import torch

torch.set_default_dtype(torch.float64)


def show(name, values):
    print(f"// {name}")
    print("{" + ", ".join(f"{v:.17g}" for v in values) + "}")


def trajectory(make, steps=5):
    p = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = make([p])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (p.pow(2).sum() + p.sum()).backward()
        opt.step()
        out.extend(p.detach().tolist())
    return out


print(f"// torch {torch.__version__}")
# test_adam.cpp
show("Adam lr=0.1 betas=(0.9, 0.99) weight_decay=0.1, 5 steps",
     trajectory(lambda ps: torch.optim.Adam(ps, lr=0.1, betas=(0.9, 0.99), weight_decay=0.1)))
show("Adam amsgrad lr=0.1 betas=(0.9, 0.99), 5 steps",
     trajectory(lambda ps: torch.optim.Adam(ps, lr=0.1, betas=(0.9, 0.99), amsgrad=True)))
show("AdamW lr=0.1 weight_decay=0.1 (default betas), 5 steps",
     trajectory(lambda ps: torch.optim.AdamW(ps, lr=0.1, weight_decay=0.1)))
# test_rmsprop.cpp
show("RMSprop lr=0.01 alpha=0.9 weight_decay=0.1 momentum=0.9 centered, 5 steps",
     trajectory(lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.9,
                                               centered=True)))
show("RMSprop defaults (lr=0.01), 5 steps", trajectory(lambda ps: torch.optim.RMSprop(ps)))

# test_clip_grad.cpp
a = torch.tensor([3.0, -4.0], requires_grad=True)
b = torch.tensor([[1.0, 2.0], [-2.0, 0.5]], requires_grad=True)
for norm_type in (2.0, 1.0, math.inf, 3.0):
    a.grad = torch.tensor([3.0, -4.0])
    b.grad = torch.tensor([[1.0, 2.0], [-2.0, 0.5]])
    total = torch.nn.utils.clip_grad_norm_([a, b], max_norm=1.0, norm_type=norm_type)
    show(f"clip_grad_norm max_norm=1 norm_type={norm_type}: total, then a.grad and b.grad",
         [total.item()] + a.grad.tolist() + b.grad.flatten().tolist())

# test_scheduler.cpp
q = torch.tensor([0.0], requires_grad=True)
sgd = torch.optim.SGD([q], lr=0.1, momentum=0.9)
one = torch.optim.lr_scheduler.OneCycleLR(sgd, max_lr=0.1, total_steps=10)
lrs, moms = [], []
for step in range(11):
    lrs.append(sgd.param_groups[0]["lr"])
    moms.append(sgd.param_groups[0]["momentum"])
    if step < 10:
        sgd.step()
        one.step()
show("OneCycleLR max_lr=0.1 total_steps=10 (defaults), lr at steps 0..10", lrs)
show("the same, SGD momentum at steps 0..10", moms)

adam = torch.optim.Adam([q], lr=0.1)
one = torch.optim.lr_scheduler.OneCycleLR(adam, max_lr=0.1, total_steps=12, pct_start=0.25, three_phase=True,
                                          anneal_strategy="linear")
lrs, betas = [], []
for step in range(13):
    lrs.append(adam.param_groups[0]["lr"])
    betas.append(adam.param_groups[0]["betas"][0])
    if step < 12:
        adam.step()
        one.step()
show("OneCycleLR max_lr=0.1 total_steps=12 pct_start=0.25 three_phase linear, lr at steps 0..12", lrs)
show("the same, Adam beta1 at steps 0..12", betas)

metrics = [1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
for mode, sign, threshold_mode, threshold in (("min", 1, "rel", 0.05), ("max", -1, "abs", 0.02)):
    sgd = torch.optim.SGD([q], lr=1.0)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(sgd, mode=mode, factor=0.5, patience=2, cooldown=1,
                                                         min_lr=0.1, threshold=threshold,
                                                         threshold_mode=threshold_mode)
    lrs = []
    for m in metrics:
        plateau.step(sign * m)
        lrs.append(sgd.param_groups[0]["lr"])
    show(f"ReduceLROnPlateau mode={mode} threshold_mode={threshold_mode} threshold={threshold} factor=0.5 "
         f"patience=2 cooldown=1 min_lr=0.1, lr after each of {[sign * m for m in metrics]}", lrs)

sgd = torch.optim.SGD([q], lr=0.1)
warm = torch.optim.lr_scheduler.LinearLR(sgd, start_factor=0.1, end_factor=1.0, total_iters=4)
cosine = torch.optim.lr_scheduler.CosineAnnealingLR(sgd, T_max=6, eta_min=0.001)
seq = torch.optim.lr_scheduler.SequentialLR(sgd, [warm, cosine], milestones=[4])
lrs = []
for epoch in range(12):
    lrs.append(sgd.param_groups[0]["lr"])
    sgd.step()
    seq.step()
show("SequentialLR(LinearLR(0.1, 1.0, 4), CosineAnnealingLR(6, 0.001), [4]), lr at epochs 0..11", lrs)
