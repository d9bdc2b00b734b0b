"""Using built models: `build` (with weights), images in, the one activation probe, predictions,
weight files and downloads, and the bounded model store the app shares between sessions."""
