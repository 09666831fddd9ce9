"""Pure-Python core of the course app. Never imports streamlit (tests/test_layering.py checks)."""
import os

# Idle OpenMP workers sleep instead of spinning. Spinning workers of concurrent trainings (several sessions, or any
# other busy process on a 2-core laptop) starve each other: an MLP step measured 110 img/s spinning vs 4,845 img/s
# passive on this machine under load. Set before torch loads its OpenMP runtime; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# MKL's int8 GEMM with the AVX-512 VNNI/AMX extensions gave CTranslate2 wrong sums on a Xeon with them (measured:
# SmolLM2 int8 answered "What is the capital of France?" with "L'Étoile, la Marseillaise, …"; fp32, and the same weights
# with MKL capped at plain AVX-512, say "Paris", at the same speed: Qwen int8 19.5 tok/s either way). MKL reads the cap
# when it starts, so it is set here, before any engine loads; an AVX2-only CPU is below the cap; a user's setting wins.
os.environ.setdefault("MKL_ENABLE_INSTRUCTIONS", "AVX512")
