"""Batch interpretation: a pack's decision tables compiled to dataframe expressions."""

from cobalamin.batch.compile import CompiledPack, compile_pack
from cobalamin.batch.run import RunReport, run_batch

__all__ = ["CompiledPack", "RunReport", "compile_pack", "run_batch"]
