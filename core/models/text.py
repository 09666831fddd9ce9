"""Recurrent text classifier over packed sequences. Plain PyTorch only: pasted verbatim into exported scripts."""
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RNNClassifier(nn.Module):
    """Embedding → RNN/LSTM/GRU (packed, so padding never reaches the cell) → linear head on the last state."""

    def __init__(self, cell, vocab_size, n_classes, embed_dim=64, hidden=64, layers=1, bidirectional=False,
                 dropout=0.0):
        super().__init__()
        self.cell, self.bidirectional = cell, bidirectional
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = CELLS[cell](embed_dim, hidden, num_layers=layers, batch_first=True, bidirectional=bidirectional,
                               dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), n_classes)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(self.embed(x), lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, h = self.rnn(packed)
        h = h[0] if self.cell == "lstm" else h  # an LSTM returns (h, c)
        last = torch.cat([h[-2], h[-1]], dim=1) if self.bidirectional else h[-1]
        return self.head(self.drop(last))
