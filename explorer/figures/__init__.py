"""Every figure the app, the lab and the benchmark report draw: Plotly figures and rendered
images, from plain data (costs, resolved graphs, arrays, result records). No Streamlit and no
Keras here, so each is unit-testable.

    fmt        numbers for people (human, fmt_params, fmt_macs, signed, pct)
    style      projector-size styling, colours, the PNG modebar
    network    the network diagram and one module as the paper draws it
    costs      params / MACs per module, the waterfall of a change, every combination
    published  published accuracy and the papers' ablation tables
    maps       feature-map tiles, overlays, which branch responds where
    lab        measured ablation results
"""
