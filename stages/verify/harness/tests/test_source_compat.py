"""source_compat: `AT_DISPATCH_*(x.type(), ...)` (the overload torch 2.11 removed; three honest level-1 kernels
failed at build on the H200 for it) is rewritten to `x.scalar_type()`, recorded, and nothing else is touched."""
from __future__ import annotations

import unittest
from typing import Any
from unittest import mock

from torch.utils import cpp_extension

import helpers  # noqa: F401
from kforge_harness.flag_recorder import FlagRecorder
from kforge_harness.source_compat import rewrite_dispatch_type, rewrite_sources

# As the rejected leaderboard kernels wrote it (lb-1-49, lb-1-51, lb-1-52).
DISPATCH = '''
    AT_DISPATCH_FLOATING_TYPES(input.type(), "max_reduce_cuda", ([&] {
        kernel<scalar_t><<<blocks, threads>>>(input.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), n);
    }));
'''


class RewriteTest(unittest.TestCase):
    def test_the_leaderboard_form_is_rewritten(self):
        r = rewrite_dispatch_type(DISPATCH)
        self.assertIn('AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "max_reduce_cuda", ([&] {', r.text)
        self.assertEqual(r.rewrites, ["AT_DISPATCH_FLOATING_TYPES(input.type()) -> input.scalar_type()"])
        self.assertEqual(r.text.replace("input.scalar_type()", "input.type()"), DISPATCH)  # nothing else moved

    def test_other_expressions_and_every_occurrence(self):
        src = ('AT_DISPATCH_FLOATING_TYPES_AND_HALF( x[0].contiguous().type () , "a", [&]{ f(); });\n'
               'AT_DISPATCH_ALL_TYPES(y.type(), "b", [&]{ g(y.type()); });\n')
        r = rewrite_dispatch_type(src)
        self.assertIn("AT_DISPATCH_FLOATING_TYPES_AND_HALF( x[0].contiguous().scalar_type(), \"a\"", r.text)
        self.assertIn('AT_DISPATCH_ALL_TYPES(y.scalar_type(), "b", [&]{ g(y.type()); });', r.text)  # only the dispatch argument
        self.assertEqual(len(r.rewrites), 2)

    def test_what_compiles_today_is_left_verbatim(self):
        for src in ('AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "a", [&]{ f(); });',
                    'auto t = x.type(); if (t.is_cuda()) {}',  # not a dispatch argument
                    'AT_DISPATCH_FLOATING_TYPES(x.type().scalarType(), "a", [&]{});',  # still compiles
                    '#define AT_DISPATCH_CASE(x) x',  # a macro definition: no argument list to rewrite
                    'AT_DISPATCH_FLOATING_TYPES(x.type()'):  # cut off: no top-level comma
            r = rewrite_dispatch_type(src)
            self.assertEqual((r.text, r.rewrites), (src, []), src)

    def test_lists_of_sources_keep_their_type(self):
        out, rewrites = rewrite_sources(["int a;", DISPATCH])
        self.assertIsInstance(out, list)
        self.assertEqual(len(rewrites), 1)
        self.assertEqual(rewrite_sources(None), (None, []))


class RecorderTest(unittest.TestCase):
    """The recorder hands load_inline the rewritten sources (by keyword and by position) and records it."""

    def build_with(self, call: Any) -> tuple[list[tuple[tuple, dict]], FlagRecorder]:
        seen: list[tuple[tuple, dict]] = []

        def fake_inline(*args: Any, **kwargs: Any) -> str:
            seen.append((args, kwargs))
            return "module"

        recorder = FlagRecorder()
        with mock.patch.object(cpp_extension, "load_inline", fake_inline), recorder.active():
            call()
        return seen, recorder

    def test_keyword_sources(self):
        seen, recorder = self.build_with(lambda: cpp_extension.load_inline(
            name="m", cpp_sources="torch::Tensor f(torch::Tensor x);", cuda_sources=DISPATCH, functions=["f"]))
        self.assertIn("input.scalar_type()", seen[0][1]["cuda_sources"])
        self.assertEqual(recorder.rewrites, ["AT_DISPATCH_FLOATING_TYPES(input.type()) -> input.scalar_type()"])

    def test_positional_sources(self):
        seen, recorder = self.build_with(lambda: cpp_extension.load_inline("m", [DISPATCH], None))
        self.assertEqual(seen[0][0][1], [DISPATCH.replace("input.type()", "input.scalar_type()")])
        self.assertEqual(len(recorder.rewrites), 1)

    def test_a_modern_source_reaches_torch_unchanged(self):
        src = DISPATCH.replace("input.type()", "input.scalar_type()")
        seen, recorder = self.build_with(lambda: cpp_extension.load_inline(name="m", cpp_sources=src))
        self.assertEqual(seen[0][1]["cpp_sources"], src)
        self.assertEqual(recorder.rewrites, [])


if __name__ == "__main__":
    unittest.main()
