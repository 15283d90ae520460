"""Which number format training and inference use: bf16 autocast where the hardware gains from it, else fp32."""

from __future__ import annotations

import contextlib

import torch

from .config import PRECISIONS, precision_setting


def bf16_pays(device: torch.device) -> bool:
    """bf16 autocast pays on CUDA and on CPUs with bf16 instructions (AMX, AVX512-BF16); elsewhere it is slower."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """'bf16' or 'fp32': ``precision`` itself, or for 'auto' ``CNNCOURSE_PRECISION``, else what pays on ``device``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}; got {precision!r}.")
    if precision == "auto":
        precision = precision_setting()
    if precision == "auto":
        precision = "bf16" if bf16_pays(device) else "fp32"
    return precision


def autocast_for(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The autocast context for ``precision`` ('auto', 'bf16' or 'fp32') on ``device``."""
    if resolve_precision(precision, device) == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
