"""Streamlit helpers: the only package besides app_pages/ that imports streamlit."""
