"""Inception Explorer benchmarks (`make bench` = `python -m benchmarks`; see docs/performance.md).

Sections: peak (matrix product), models (build / forward / probe per variant), reference
(keras.applications), cost (toggle sweep), memory (fresh process), app (AppTest), gpu (the probe
with one transfer and batch-32 float32 / bfloat16 throughput, where the backend sees a GPU). Self-contained:
the package needs the repository's `explorer/` and Keras with any backend; TensorFlow, JAX, torch
and Streamlit are imported only where they are used.
"""
