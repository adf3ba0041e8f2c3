"""Side-by-side benchmarks of glassnet against its peers (not tests).

Run ``python -m benchmarks --help``. This package imports nothing heavy at
import time: the entry point must set the thread-count environment variables
before NumPy or PyTorch are first imported.
"""
