"""Final-project starter, core half: the example service classifies sentences it was not trained on."""
import pytest

from core import final_project as project
from core.errors import UserError


@pytest.fixture(scope="module")
def model():
    return project.train()


@pytest.mark.parametrize("text,label", [("정말 최고예요, 또 주문할게요", "positive"),
                                        ("최악이에요. 환불해 주세요", "negative"),
                                        ("Absolutely loved it, great value", "positive"),
                                        ("Terrible, it broke after one day", "negative")])
def test_predicts_clear_cases(model, text, label):
    result = project.predict(model, text)
    assert result.label == label and result.confidence > 0.5


def test_bad_input_is_a_user_error(model):
    with pytest.raises(UserError):
        project.predict(model, "   ")
    with pytest.raises(UserError):
        project.predict(model, "가" * (project.MAX_CHARS + 1))
