"""Inception Explorer: the Streamlit entry point (`make run`, i.e. `streamlit run streamlit_app.py`).

Everything is in `pages/ui/router.py`: the page table, the navigation, the shared sidebar. Each page
is a module `pages/<url_path>.py` with a `render()` function.
"""
from pages.ui.router import main

main()
