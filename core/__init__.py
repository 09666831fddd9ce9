"""Pure-Python core of the course app. Never imports streamlit (tests/test_layering.py checks)."""
