"""Strings of day 10: the final-project starter. KO is the default; EN has the same keys (tests/test_i18n.py)."""
KO = {
    'page.final_project': '최종 프로젝트 시작하기',
    'project.intro': '이 페이지 자체가 최종 프로젝트의 출발점입니다. 작은 AI 서비스(리뷰 감성 판별) 하나가 페이지·core 모듈·테스트 세 조각으로 이루어져 있습니다. 복사해서 내 아이디어로 바꿔 보세요.',
    'project.howto': '내 프로젝트로 복사하는 방법',
    'project.steps': '1. 터미널에서 아래 명령을 실행하면 페이지(`app_pages/`), 로직(`core/`), 문자열(`ui/strings/`), 테스트(`tests/`)가 새 이름으로 복사되고 메뉴에 등록됩니다.\n'
                     '2. `core/<이름>.py`의 `train`·`predict`를 내 아이디어로 바꿉니다. 이미지 분류기는 `core.vision`·`core.train`, RAG 챗봇은 `core.vectordb`·`core.rag`, 음성 비서는 `core.voice`·`core.llm`을 가져다 쓰세요.\n'
                     '3. `make test`로 내 테스트와 기존 테스트가 모두 통과하는지 확인하고, 쇼케이스 페이지에서 결과를 발표합니다.',
    'project.demo': '예시 서비스: 리뷰 감성 판별',
    'project.input': '리뷰 문장',
    'project.placeholder': '예: 배송은 느렸지만 맛은 최고였어요',
    'project.run': '판별하기',
    'project.label': '판별 결과',
    'project.l.positive': '긍정 😊', 'project.l.negative': '부정 😞',
    'project.empty': '문장을 입력하세요.',
    'project.too_long': '문장이 너무 깁니다. {limit}자 이하로 입력하세요.',
}

EN = {
    'page.final_project': 'Final-project starter',
    'project.intro': 'This page is the starting point of your final project: a small AI service (review sentiment) made of three pieces — a page, a core module and tests. Copy it and turn it into your own idea.',
    'project.howto': 'How to copy it into your own project',
    'project.steps': '1. Run the command below in a terminal: the page (`app_pages/`), logic (`core/`), strings (`ui/strings/`) and tests (`tests/`) are copied under a new name and added to the menu.\n'
                     '2. Replace `train` and `predict` in `core/<name>.py` with your idea. An image classifier reuses `core.vision` and `core.train`, a RAG chatbot `core.vectordb` and `core.rag`, a voice assistant `core.voice` and `core.llm`.\n'
                     '3. Check with `make test` that your tests and the existing ones pass, then present the result on the showcase page.',
    'project.demo': 'Example service: review sentiment',
    'project.input': 'Review sentence',
    'project.placeholder': 'e.g. Delivery was slow but the food was great',
    'project.run': 'Classify',
    'project.label': 'Result',
    'project.l.positive': 'positive 😊', 'project.l.negative': 'negative 😞',
    'project.empty': 'Type a sentence.',
    'project.too_long': 'The text is too long: at most {limit} characters.',
}
