"""Final-project starter, core half: a tiny review-sentiment service — the template a student copies.

Keep the project's logic here (pure Python, no Streamlit) so it is tested without a browser; the page only
draws widgets and calls these functions. `python scripts/new_project.py NAME` copies this file, its page, its
strings and its tests under a new name. Swap the body for your own idea:
  image classifier → core.data.image_zip + core.vision.setup + core.train.fit + core.vision.predict_topk
  RAG chatbot      → core.documents + core.vectordb.VectorStore + core.rag
  voice assistant  → core.voice (speech in/out) + core.llm (a Provider) + core.rag for grounded answers
"""
from __future__ import annotations

from dataclasses import dataclass

from core.errors import UserError

MAX_CHARS = 2000


@dataclass
class Prediction:
    label: str
    confidence: float


def train():
    """Fit the service's model on the shipped reviews: a TF-IDF + logistic-regression pipeline (seconds)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from core.text_data import shipped

    data = shipped()
    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True),
                          LogisticRegression(max_iter=2000, C=4.0))
    model.fit(data.texts, [data.classes[y] for y in data.labels])
    return model


def predict(model, text: str) -> Prediction:
    """The service's one action; bad input is a UserError the page translates."""
    text = (text or "").strip()
    if not text:
        raise UserError("project.empty", "type a sentence")
    if len(text) > MAX_CHARS:
        raise UserError("project.too_long", "text too long", limit=MAX_CHARS)
    probs = model.predict_proba([text])[0]
    best = int(probs.argmax())
    return Prediction(str(model.classes_[best]), float(probs[best]))
