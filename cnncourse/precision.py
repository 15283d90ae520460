"""Which number format training and inference use: what the hardware computes fast, never an emulation.

- bf16 autocast on CUDA GPUs with bf16 hardware (compute capability 8.0 and newer: A100, H100, RTX 30xx) and on
  CPUs with bf16 instructions (AMX, AVX512-BF16);
- fp16 autocast with a gradient scaler on older CUDA GPUs with fp16 tensor cores (compute capability 7.x: V100,
  T4, Colab's free GPU). They report bf16 as supported, but only emulate it, with slow kernels;
- fp32 everywhere else (other CPUs, Apple's MPS, older GPUs).
"""

from __future__ import annotations

import contextlib

import torch

from .config import PRECISIONS, precision_setting
from .errors import InputValueError

BF16_CAPABILITY = (8, 0)  # Ampere: bf16 tensor cores, and cuDNN's bf16 convolutions
FP16_CAPABILITY = (7, 0)  # Volta: fp16 tensor cores
AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def bf16_pays(device: torch.device) -> bool:
    """bf16 hardware: a CUDA GPU of compute capability 8.0 or newer, or a CPU with bf16 instructions."""
    if device.type == "cuda":
        return torch.cuda.get_device_capability(device) >= BF16_CAPABILITY
    if device.type == "cpu":  # oneDNN's own answer; no public call gives it (get_cpu_capability says only 'AVX512')
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def fp16_pays(device: torch.device) -> bool:
    """fp16 tensor cores: a CUDA GPU of compute capability 7.0 or newer."""
    return device.type == "cuda" and torch.cuda.get_device_capability(device) >= FP16_CAPABILITY


def automatic_precision(device: torch.device) -> str:
    """'bf16' where the hardware has it, else 'fp16' on a GPU with fp16 tensor cores, else 'fp32'."""
    if bf16_pays(device):
        return "bf16"
    return "fp16" if fp16_pays(device) else "fp32"


def resolve_precision(precision: str, device: torch.device) -> str:
    """'bf16', 'fp16' or 'fp32': ``precision`` itself, or for 'auto' ``CNNCOURSE_PRECISION``, else the automatic one."""
    if precision not in PRECISIONS:
        raise InputValueError(f"precision must be one of {PRECISIONS}; got {precision!r}.")
    if precision == "auto":
        precision = precision_setting()
    return automatic_precision(device) if precision == "auto" else precision


def autocast_for(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The autocast context for ``precision`` ('auto', 'bf16', 'fp16' or 'fp32') on ``device``."""
    resolved = resolve_precision(precision, device)
    if resolved in AUTOCAST_DTYPES:
        return torch.autocast(device.type, dtype=AUTOCAST_DTYPES[resolved])
    return contextlib.nullcontext()


def gradient_scaler(device: torch.device, precision: str) -> torch.amp.GradScaler:
    """A gradient scaler for fp16, which overflows where bf16 does not; a pass-through for other precisions.

    It multiplies the loss before the backward pass so that small gradients do not round to zero in fp16, and
    skips a step whose gradients overflowed (inf or NaN), lowering its factor, instead of spoiling the weights.
    """
    return torch.amp.GradScaler(device.type, enabled=resolve_precision(precision, device) == "fp16")
