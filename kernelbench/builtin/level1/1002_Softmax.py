import torch
import torch.nn as nn

class Model(nn.Module):
    """
    Softmax over the last dimension of a 2-D tensor. A kernelforge sample problem (row softmax).
    """
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(x, dim=1)

batch_size = 128
dim = 4096

def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]

def get_init_inputs():
    return []
