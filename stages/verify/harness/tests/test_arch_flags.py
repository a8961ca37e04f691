"""arch_flags: a candidate's arch flags for another chip are rewritten to the device's arch; every other
flag keeps its exact text (CUDA 13 rejects sm_70, so such kernels failed at build before)."""
from __future__ import annotations

import tempfile
import unittest
from pathlib import Path
from typing import Any
from unittest import mock

from torch.utils import cpp_extension

import helpers  # noqa: F401
from kforge_harness import building
from kforge_harness.arch_flags import device_arch, names_other_arch, retarget

H200 = device_arch(9, 0)


class RetargetTest(unittest.TestCase):
    def check(self, flags: list[str], want_flags: list[str], want_rewrites: list[str]) -> None:
        got = retarget(flags, H200, substitute=True)
        self.assertEqual(got.flags, want_flags)
        self.assertEqual(got.rewrites, want_rewrites)

    def test_every_form_of_an_old_arch_is_retargeted(self):
        self.check(["-O3", "-arch=sm_70"], ["-O3", "-arch=sm_90"], ["-arch=sm_70 -> sm_90"])
        self.check(["-arch sm_70", "-O3"], ["-arch=sm_90", "-O3"], ["-arch sm_70 -> sm_90"])
        self.check(["-arch", "sm_70", "-O3"], ["-arch=sm_90", "-O3"], ["-arch sm_70 -> sm_90"])
        self.check(["--gpu-architecture=compute_70"], ["-arch=sm_90"], ["--gpu-architecture=compute_70 -> sm_90"])
        self.check(["-gencode arch=compute_70,code=sm_70"], ["-arch=sm_90"],
                   ["-gencode arch=compute_70,code=sm_70 -> sm_90"])
        self.check(["-gencode=arch=compute_75,code=[sm_75,compute_75]"], ["-arch=sm_90"],
                   ["-gencode=arch=compute_75,code=[sm_75,compute_75] -> sm_90"])
        self.check(["--generate-code", "arch=compute_70,code=sm_70"], ["-arch=sm_90"],
                   ["--generate-code arch=compute_70,code=sm_70 -> sm_90"])
        self.check(["-code=sm_70", "--use_fast_math"], ["-arch=sm_90", "--use_fast_math"], ["-code=sm_70 -> sm_90"])

    def test_several_old_archs_give_one_device_arch(self):
        got = retarget(["-gencode=arch=compute_70,code=sm_70", "-O3", "-gencode=arch=compute_80,code=sm_80"],
                       H200, substitute=True)
        self.assertEqual(got.flags, ["-arch=sm_90", "-O3"])
        self.assertEqual(len(got.rewrites), 2)

    def test_other_flags_in_the_same_element_keep_their_text(self):
        self.check(["-O3  -arch=sm_70 --use_fast_math"], ["-arch=sm_90", "-O3 --use_fast_math"],
                   ["-arch=sm_70 -> sm_90"])

    def test_the_devices_arch_and_non_arch_flags_are_untouched(self):
        for flags in (["-arch=sm_90"], ["-arch=sm_90a", "-O3"], ["-gencode=arch=compute_90,code=sm_90"],
                      ["-arch=native"], ["-arch=all-major"], ["-O3", "--use_fast_math", "-Xptxas", "-v",
                      "-march=native", "-std=c++17", "--expt-relaxed-constexpr", "-lineinfo", "-DARCH=70"]):
            got = retarget(flags, H200, substitute=True)
            self.assertEqual(got.flags, flags)
            self.assertEqual(got.rewrites, [])

    def test_a_kept_device_arch_is_not_duplicated(self):
        got = retarget(["-gencode=arch=compute_90,code=sm_90", "-gencode=arch=compute_70,code=sm_70"], H200, True)
        self.assertEqual(got.flags, ["-gencode=arch=compute_90,code=sm_90"])
        self.assertEqual(got.rewrites, ["-gencode=arch=compute_70,code=sm_70 -> sm_90"])

    def test_host_flags_are_dropped_not_substituted(self):
        got = retarget(["-O3", "-arch=sm_70"], H200, substitute=False)
        self.assertEqual(got.flags, ["-O3"])
        self.assertTrue(got.rewrites[0].startswith("-arch=sm_70 -> dropped"))

    def test_names_other_arch(self):
        self.assertTrue(names_other_arch("arch=compute_90,code=sm_100", H200))
        self.assertFalse(names_other_arch("native", H200))
        self.assertEqual(device_arch(10, 0), "100")


CANDIDATE = """
from torch.utils.cpp_extension import load_inline
ext = load_inline(name='k', cpp_sources='', cuda_sources='', extra_cflags=['-O3'],
                  extra_cuda_cflags=['-O3', '-arch=sm_70', '--use_fast_math'])
"""


class RecorderRetargetTest(unittest.TestCase):
    """The candidate's import goes through FlagRecorder: what load_inline receives is retargeted, what
    the result records as compile_flags is what the candidate wrote."""

    def _import(self, arch: str | None) -> tuple[building.FlagRecorder, dict[str, Any]]:
        seen: dict[str, Any] = {}
        recorder = building.FlagRecorder(arch=arch)
        with mock.patch.object(cpp_extension, "load_inline", lambda *a, **kw: seen.update(kw)):
            building.import_candidate(CANDIDATE, Path(tempfile.mkdtemp(prefix="kforge-arch-")), recorder)
        return recorder, seen

    def test_cuda_build_gets_the_devices_arch(self):
        recorder, seen = self._import(H200)
        self.assertEqual(seen["extra_cuda_cflags"], ["-O3", "-arch=sm_90", "--use_fast_math"])
        self.assertEqual(seen["extra_cflags"], ["-O3"])
        self.assertEqual(recorder.rewrites, ["-arch=sm_70 -> sm_90"])
        self.assertEqual(recorder.as_string(), "-O3 -arch=sm_70 --use_fast_math")  # as the candidate asked

    def test_cpu_build_leaves_arch_flags_alone(self):
        recorder, seen = self._import(None)
        self.assertEqual(seen["extra_cuda_cflags"], ["-O3", "-arch=sm_70", "--use_fast_math"])
        self.assertEqual(recorder.rewrites, [])


if __name__ == "__main__":
    unittest.main()
