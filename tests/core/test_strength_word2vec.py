"""Word2Vec analogies on a corpus built so the answer is known: each word is a role plus a gender."""
import random

from core import text as T

PAIRS = [("king", "queen", "palace crown throne"), ("actor", "actress", "film stage role"),
         ("prince", "princess", "castle heir royal"), ("waiter", "waitress", "cafe table menu"),
         ("uncle", "aunt", "family nephew visit"), ("monk", "nun", "temple prayer quiet")]


def _corpus(seed: int = 0) -> list[list[str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(150):
        for male, female, ctx in PAIRS:
            words = ctx.split()
            out.append([male] + rng.sample(["he", "his", "man", "him"], 2) + rng.sample(words, 2))
            out.append([female] + rng.sample(["she", "her", "woman", "hers"], 2) + rng.sample(words, 2))
    for sentence in out:
        rng.shuffle(sentence)
    return out


def test_analogies_find_the_other_gender_of_the_same_role():
    model = T.train_word2vec(_corpus(), sg=True, dim=16, window=4, min_count=1, epochs=20)
    assert T.analogy(model, "king", "man", "woman")[0][0] == "queen"
    # king − actor + actress = queen, for every ordered pair of roles: 30 questions, chance is ~1 in 30 words
    right = sum(T.analogy(model, m, m2, f2)[0][0] == f
                for m, f, _ in PAIRS for m2, f2, _ in PAIRS if m != m2)
    assert right >= 25, right
