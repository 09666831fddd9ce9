"""Loaded by the browser test's `streamlit run` (PYTHONPATH=tests/netguard): the server runs with the network
refused, and every attempt goes to $NETGUARD_LOG for the test to read."""
import netguard

netguard.install()
