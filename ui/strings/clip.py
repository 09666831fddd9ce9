"""Strings of the day-7 image–text (CLIP idea) page. KO is the default; EN has the same keys."""
KO = {
    'page.clip': '이미지–텍스트 (CLIP 아이디어)',
    'clip.intro': '이미지와 한국어·영어 문장을 같은 벡터 공간에 놓아, 학습하지 않은 문장으로 분류(제로샷)하고 문장으로 '
                  '이미지를 찾습니다.',
    'clip.what': '무엇을 썼나: pip·apt 패키지로 가중치가 함께 배포되는 CLIP 계열 모델을 찾지 못해(허브 다운로드는 오프라인 '
                 '원칙에 어긋남), 여기서 작은 듀얼 인코더를 직접 학습합니다. 이미지 타워 = 작은 CNN, 텍스트 타워 = '
                 '배포된 다국어 e5(고정) + 학습하는 선형 투영. 손실은 CLIP과 같은 InfoNCE(대조 학습)이고, 캡션은 '
                 '클래스 이름과 한국어·영어 템플릿으로 만듭니다. 일부 템플릿은 학습에서 빼 두고 제로샷 평가에만 씁니다.',
    'clip.steps': '학습 스텝 수',
    'clip.lr': '학습률',
    'clip.train': '듀얼 인코더 학습',
    'clip.zero_shot_now': '제로샷 정확도(처음 보는 캡션 템플릿) {acc} — {step} 스텝',
    'clip.zero_shot': '제로샷 분류 (학습에 없던 캡션 템플릿)',
    'clip.acc_ko': '한국어 캡션',
    'clip.acc_en': '영어 캡션',
    'clip.acc_both': '두 언어 평균 벡터',
    'clip.chance': '무작위 추측',
    'clip.heldout_help': '평가용 템플릿: {templates}',
    'clip.matrix': '유사도 행렬 (클래스별 이미지 1장 × 캡션)',
    'clip.captions': '캡션',
    'clip.images': '이미지',
    'clip.search': '텍스트 → 이미지 검색',
    'clip.query': '찾을 문장 (한국어나 영어)',
    'clip.query_default': '운동화 사진',
    'clip.found': '찾은 이미지의 실제 클래스: {classes}',
    'clip.own': '내 이미지 분류하기',
    'clip.upload': '옷·신발·가방 사진 올리기',
    'clip.invert': '밝기 뒤집기',
    'clip.invert_help': 'Fashion-MNIST는 검은 배경에 밝은 물체입니다. 흰 배경 사진이면 켜 두세요.',
    'clip.class': '클래스',
    'clip.prob': '확률',
    'clip.empty_query': '찾을 문장이 비어 있습니다.',
}

EN = {
    'page.clip': 'Image–text (the CLIP idea)',
    'clip.intro': 'Images and Korean/English sentences in one vector space: classify with sentences never trained '
                  'on (zero-shot) and find images with a sentence.',
    'clip.what': 'What is used: no CLIP-family model ships its weights in a pip or apt package (a hub download '
                 'would break the offline rule), so a small dual encoder is trained here. Image tower = a small CNN, '
                 'text tower = the shipped multilingual e5 (frozen) + a trained linear projection. The loss is '
                 "CLIP's InfoNCE (contrastive); captions come from the class names with Korean and English "
                 'templates. Some templates are held out of training and used only for the zero-shot score.',
    'clip.steps': 'Training steps',
    'clip.lr': 'Learning rate',
    'clip.train': 'Train the dual encoder',
    'clip.zero_shot_now': 'Zero-shot accuracy (unseen caption templates) {acc} at step {step}',
    'clip.zero_shot': 'Zero-shot classification (caption templates not used in training)',
    'clip.acc_ko': 'Korean captions',
    'clip.acc_en': 'English captions',
    'clip.acc_both': 'Both languages averaged',
    'clip.chance': 'Chance',
    'clip.heldout_help': 'Held-out templates: {templates}',
    'clip.matrix': 'Similarity matrix (one image per class × captions)',
    'clip.captions': 'captions',
    'clip.images': 'images',
    'clip.search': 'Text → image search',
    'clip.query': 'Sentence to search for (Korean or English)',
    'clip.query_default': 'a picture of a sneaker',
    'clip.found': 'True classes of the images found: {classes}',
    'clip.own': 'Classify your own image',
    'clip.upload': 'Upload a photo of clothing, shoes or a bag',
    'clip.invert': 'Invert brightness',
    'clip.invert_help': 'Fashion-MNIST shows light objects on black. Keep this on for photos on a white background.',
    'clip.class': 'Class',
    'clip.prob': 'Probability',
    'clip.empty_query': 'The search sentence is empty.',
}
