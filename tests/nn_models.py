"""Small models shared by the philox.nn tests and their distributed worker (not collected)."""
import torch
from torch import nn


class Block(nn.Module):
    """A bit of everything torch initializes by default."""

    def __init__(self, d=16, order=0):
        super().__init__()
        # the same modules under the same names, built in one of two orders
        names = ["emb", "attn", "proj", "conv", "ln", "bn", "rnn"] if order == 0 else \
                ["rnn", "bn", "ln", "conv", "proj", "attn", "emb"]
        for n in names:
            setattr(self, n, self._make(n, d))

    @staticmethod
    def _make(name, d):
        return {"emb": lambda: nn.Embedding(50, d, padding_idx=3),
                "attn": lambda: nn.MultiheadAttention(d, 4, add_bias_kv=True),
                "proj": lambda: nn.Linear(d, 2 * d),
                "conv": lambda: nn.Conv2d(3, d, 3),
                "ln": lambda: nn.LayerNorm(d),
                "bn": lambda: nn.BatchNorm1d(d),
                "rnn": lambda: nn.LSTM(d, d, num_layers=2)}[name]()


def make_model(order=0, extra=False, device=None):
    with torch.device(device or "cpu"):
        m = nn.Module()
        if extra:
            m.first = nn.Linear(7, 5)
        m.block = Block(order=order)
        m.enc = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32)
        m.dec = nn.TransformerDecoderLayer(16, 4, dim_feedforward=32)
        if extra:
            m.last = nn.GRU(4, 6)
    return m


def state(m):
    """Parameters and buffers as float64 CPU tensors by name."""
    out = {}
    for n, t in list(m.named_parameters()) + list(m.named_buffers()):
        full = t.full_tensor() if hasattr(t, "full_tensor") else t
        out[n] = full.detach().to("cpu", torch.float64).clone()
    return out
