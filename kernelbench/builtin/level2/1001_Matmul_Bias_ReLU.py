import torch
import torch.nn as nn

class Model(nn.Module):
    """
    A linear layer (matmul plus bias) followed by ReLU.
    A kernelforge sample problem (fused matmul + bias + ReLU).
    """
    def __init__(self, in_features: int, out_features: int):
        super(Model, self).__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.linear(x))

batch_size = 128
in_features = 512
out_features = 256

def get_inputs():
    x = torch.randn(batch_size, in_features)
    return [x]

def get_init_inputs():
    return [in_features, out_features]
