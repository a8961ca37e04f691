#!/usr/bin/env python3
"""kernelforge verification harness entry point: `python3 stages/verify/harness/verify.py --help`.

Thin on purpose: everything lives in the kforge_harness package next to this file.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kforge_harness.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
