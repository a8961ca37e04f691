"""kernelforge verification harness: runs untrusted candidate kernels against KernelBench problems.

One concern per module; `driver` runs jobs in sandboxed `worker` processes. See ../PROTOCOL.md.
"""
from .protocol import VERIFIER_VERSION

__all__ = ["VERIFIER_VERSION"]
