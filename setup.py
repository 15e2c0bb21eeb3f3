"""The optional compiled part of kiemchung (everything else is in pyproject.toml).

``kiemchung.stories._fastscore`` runs the story clusterer's hot loops in C, with the same results as
the Python code it stands in for (see docs/stories.md). ``optional=True``: without a C compiler the
install still succeeds, and the clusterer runs its pure-Python code.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "kiemchung.stories._fastscore",
            sources=["kiemchung/stories/_fastscore.c"],
            # the same floats as Python's: no fused multiply-add, no reassociation
            extra_compile_args=["-ffp-contract=off", "-fno-fast-math"],
            optional=True,
        )
    ]
)
