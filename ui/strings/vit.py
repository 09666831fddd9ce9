"""The ViT page (day 7): a small Vision Transformer trained in the app, looked inside, and a same-size CNN."""

KO = {
    'page.vit': 'ViT: 이미지를 읽는 트랜스포머',
    'vit.intro': '이미지를 패치로 잘라 단어처럼 토큰으로 읽는 작은 Vision Transformer를 직접 학습합니다. 학습 후 '
                 '패치, 패치 임베딩, 위치 임베딩 유사도, 층·헤드별 어텐션과 어텐션 롤아웃을 보고, 파라미터 수가 '
                 '같은 CNN과 나란히 비교합니다.',
    'vit.speed_note': '기본값(Fashion-MNIST 6000장, 2 에폭)은 2코어 CPU에서 약 1분, CNN 비교까지 약 2분 걸립니다. '
                      '바로 보려면 digits(8×8)를 고르세요.',
    'vit.patch': '패치 크기',
    'vit.patch_help': '이미지 한 변을 나누어 떨어지게 해야 합니다. 작을수록 토큰이 많아져 느려집니다.',
    'vit.dim': '임베딩 차원',
    'vit.depth': '층 수',
    'vit.heads': '헤드 수',
    'vit.tokens': '{rows}×{cols} = {n}개 패치 ({p}×{p} 픽셀) + [CLS] = 토큰 {tokens}개 · 파라미터 {params}개',
    'vit.compare': '같은 파라미터 수의 CNN도 이어서 학습',
    'vit.compare_help': 'ViT 다음에 같은 데이터·설정으로 파라미터 수가 가장 가까운 작은 VGG를 학습해 한 차트에서 '
                        '비교합니다.',
    'vit.train': 'ViT 학습 시작',
    'vit.model.vit': 'ViT',
    'vit.model.cnn': 'CNN (같은 크기)',
    'vit.progress': '{model} · 에폭 {epoch} · 스텝 {step}/{total} · 남은 시간 약 {eta}초',
    'vit.loss_chart': '배치 손실',
    'vit.compare_chart': 'ViT vs 같은 크기 CNN: 에폭별 검증 정확도',
    'vit.results': '결과',
    'vit.test_acc': '{model} 테스트 정확도',
    'vit.params': '{model} 파라미터',
    'vit.inside': 'ViT 안을 들여다보기',
    'vit.image_idx': '테스트 이미지 번호',
    'vit.patches_title': '1. 패치로 자르기',
    'vit.patches_help': 'ViT는 이미지를 겹치지 않는 패치로 잘라, 왼쪽 위부터 한 줄씩 읽습니다. 각 패치가 하나의 '
                        '토큰(문장의 단어)이 됩니다.',
    'vit.embed_title': '2. 패치 임베딩 (패치 × 차원)',
    'vit.embed_help': '각 패치의 픽셀을 하나의 선형 변환(stride=패치 크기인 Conv2d)으로 dim 차원 벡터로 바꿉니다.',
    'vit.pos_title': '3. 위치 임베딩 코사인 유사도',
    'vit.pos_help': '작은 지도 하나가 한 위치이고, 그 위치의 임베딩이 다른 모든 위치와 얼마나 비슷한지 보여 줍니다. '
                    '학습이 잘 되면 같은 행·열과 이웃이 밝아집니다: 위치 정보를 스스로 배운 것입니다.',
    'vit.attn_title': '4. [CLS]의 어텐션: 층 {layer}, 헤드별',
    'vit.attn_help': '분류에 쓰이는 [CLS] 토큰이 각 헤드에서 어느 패치를 보는지입니다. 헤드마다 다른 곳을 봅니다.',
    'vit.layer': '층',
    'vit.rollout_title': '5. 어텐션 롤아웃 (테스트 이미지)',
    'vit.rollout_help': '모든 층의 어텐션(헤드 평균 + 잔차 연결)을 곱해, 입력의 어느 패치가 최종 [CLS]까지 '
                        '도달했는지 보여 줍니다. 밝은(빨간) 곳일수록 예측에 많이 쓰였습니다.',
    'vit.bad_patch': '패치 크기는 이미지 한 변({side})을 나누어 떨어지게 해야 합니다.',
    'vit.bad_shape': '임베딩 차원은 헤드 수의 배수여야 하고, 층은 1~12, 헤드는 1~16이어야 합니다.',
}

EN = {
    'page.vit': 'ViT: a transformer that reads images',
    'vit.intro': 'Train a small Vision Transformer that cuts an image into patches and reads them as tokens, like '
                 'words. Then look inside: patches, patch embeddings, position-embedding similarity, attention per '
                 'layer and head, attention rollout, and a CNN with the same number of parameters side by side.',
    'vit.speed_note': 'The default (Fashion-MNIST, 6000 images, 2 epochs) takes about a minute on a 2-core CPU, '
                      'about two with the CNN comparison. Pick digits (8×8) for an instant run.',
    'vit.patch': 'Patch size',
    'vit.patch_help': 'Must divide the image side. Smaller patches mean more tokens and slower training.',
    'vit.dim': 'Embedding dim',
    'vit.depth': 'Layers',
    'vit.heads': 'Heads',
    'vit.tokens': '{rows}×{cols} = {n} patches ({p}×{p} pixels) + [CLS] = {tokens} tokens · {params} parameters',
    'vit.compare': 'Then train a CNN with the same parameter count',
    'vit.compare_help': 'After the ViT, train the small VGG closest in parameters on the same data and settings, '
                        'compared in one chart.',
    'vit.train': 'Train the ViT',
    'vit.model.vit': 'ViT',
    'vit.model.cnn': 'CNN (same size)',
    'vit.progress': '{model} · epoch {epoch} · step {step}/{total} · about {eta} s left',
    'vit.loss_chart': 'Batch loss',
    'vit.compare_chart': 'ViT vs a same-size CNN: validation accuracy per epoch',
    'vit.results': 'Results',
    'vit.test_acc': '{model} test accuracy',
    'vit.params': '{model} parameters',
    'vit.inside': 'Inside the ViT',
    'vit.image_idx': 'Test image number',
    'vit.patches_title': '1. Cut into patches',
    'vit.patches_help': 'The ViT cuts the image into non-overlapping patches and reads them row by row from the top '
                        'left. Each patch becomes one token (a word of the sentence).',
    'vit.embed_title': '2. Patch embeddings (patches × dim)',
    'vit.embed_help': "Each patch's pixels go through one linear map (a Conv2d with stride = patch size) to a "
                      'dim-sized vector.',
    'vit.pos_title': '3. Position embeddings: cosine similarity',
    'vit.pos_help': "Each small map is one position: how similar its embedding is to every other position's. "
                    'After training, its own row, column and neighbours light up: the model learned where patches '
                    'are.',
    'vit.attn_title': '4. Where [CLS] looks: layer {layer}, per head',
    'vit.attn_help': 'The [CLS] token, used for the class, attends to these patches in each head; heads look at '
                     'different places.',
    'vit.layer': 'Layer',
    'vit.rollout_title': '5. Attention rollout (test images)',
    'vit.rollout_help': "Multiplying every layer's attention (heads averaged, plus the residual path) shows which "
                        'input patches reached the final [CLS]. Bright (red) patches mattered most.',
    'vit.bad_patch': 'The patch size must divide the image side ({side}).',
    'vit.bad_shape': 'The embedding dim must be a multiple of the heads; layers 1–12, heads 1–16.',
}
