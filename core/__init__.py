"""Pure-Python core of the course app. Never imports streamlit (tests/test_layering.py checks)."""
import os

# Idle OpenMP workers sleep instead of spinning. Spinning workers of concurrent trainings (several sessions, or any
# other busy process on a 2-core laptop) starve each other: an MLP step measured 110 img/s spinning vs 4,845 img/s
# passive on this machine under load. Set before torch loads its OpenMP runtime; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
