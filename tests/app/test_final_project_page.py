"""Final-project starter page in AppTest: the example service answers from the page."""
PAGE = "app_pages/10_final_project.py"


def test_classifies_a_sentence(open_page):
    at = open_page(PAGE)
    at.text_area(key="project.text").input("배송도 빠르고 맛도 최고였어요").run()
    at.button(key="project.go").click().run()
    assert not at.exception
    assert at.metric[0].value == "긍정 😊"


def test_empty_input_is_explained(open_page):
    at = open_page(PAGE)
    at.button(key="project.go").click().run()
    assert not at.exception and any("입력하세요" in e.value for e in at.error)
