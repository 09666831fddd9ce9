"""LLM providers behind one interface (core.llm.base.Provider)."""
