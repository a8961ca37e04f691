"""PLACEHOLDER (owned by the anti-cheat engineer, issue 3): which flags make a verdict untrustworthy."""
from __future__ import annotations

SUSPECT_FLAGS: set[str] = {
    "inputs_modified",
    "nondeterministic",
    "output_not_plain_tensor",
    "timing_phase_mismatch",
    "event_host_time_mismatch",
    "cuda_error_after_forward",
    "harness_tampered",
}
