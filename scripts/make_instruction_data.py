"""Writes data/instructions_ko_en.jsonl: our own instruction pairs for the LoRA page. A course teaching assistant
answers every question in one fixed shape, so a short LoRA run visibly changes the model's answers:

    📌 핵심: <one-line definition>
    👉 예시: <one concrete example>
    — 조교 드림        (English: "📌 Key point: … 👉 Example: … — your TA")

    python scripts/make_instruction_data.py
"""
import json
from pathlib import Path

# (Korean question, key point, example), (English question, key point, example)
CONCEPTS = [
    (("텐서가 뭐예요?", "텐서는 모양(shape)과 자료형을 가진 다차원 배열입니다.", "torch.zeros(2, 3)은 2행 3열의 0 텐서를 만듭니다."),
     ("What is a tensor?", "A tensor is a multi-dimensional array with a shape and a dtype.", "torch.zeros(2, 3) makes a 2x3 tensor of zeros.")),
    (("자동미분은 무엇인가요?", "연산 기록을 거꾸로 따라가며 기울기를 자동으로 계산하는 기능입니다.", "loss.backward()를 부르면 w.grad에 기울기가 채워집니다."),
     ("What is autograd?", "Autograd records operations and computes gradients by walking them backwards.", "After loss.backward(), w.grad holds the gradient.")),
    (("경사하강법을 설명해 주세요.", "기울기의 반대 방향으로 조금씩 파라미터를 옮겨 손실을 줄이는 방법입니다.", "w = w - 0.01 * w.grad 를 반복합니다."),
     ("Explain gradient descent.", "Gradient descent moves the parameters a small step against the gradient to lower the loss.", "Repeat w = w - 0.01 * w.grad.")),
    (("학습률이 너무 크면 어떻게 되나요?", "한 걸음이 너무 커서 최솟값을 지나쳐 손실이 발산합니다.", "lr=1.5로 x²를 내려가면 값이 점점 커집니다."),
     ("What if the learning rate is too large?", "Each step overshoots the minimum and the loss diverges.", "Descending x² with lr=1.5 makes x grow every step.")),
    (("손실 함수는 왜 필요한가요?", "예측이 정답에서 얼마나 틀렸는지 숫자 하나로 알려 줍니다.", "분류에는 nn.CrossEntropyLoss를 씁니다."),
     ("Why do we need a loss function?", "It turns how wrong the predictions are into one number to minimise.", "Use nn.CrossEntropyLoss for classification.")),
    (("선형회귀란?", "입력과 출력 사이의 직선 관계 y = wx + b를 데이터로 찾는 모델입니다.", "nn.Linear(1, 1)을 MSE 손실로 학습합니다."),
     ("What is linear regression?", "It fits a straight line y = wx + b to the data.", "Train nn.Linear(1, 1) with an MSE loss.")),
    (("옵티마이저는 무슨 일을 하나요?", "계산된 기울기로 파라미터를 실제로 업데이트합니다.", "opt = torch.optim.Adam(model.parameters(), lr=1e-3)"),
     ("What does an optimizer do?", "It updates the parameters using the computed gradients.", "opt = torch.optim.Adam(model.parameters(), lr=1e-3)")),
    (("Adam과 SGD의 차이는?", "Adam은 파라미터마다 학습률을 자동으로 조절하고 SGD는 하나의 학습률을 씁니다.", "같은 MLP에서 Adam이 보통 더 빨리 수렴합니다."),
     ("Adam versus SGD?", "Adam adapts a learning rate per parameter; SGD uses one global rate.", "On the same MLP, Adam usually converges faster.")),
    (("배치 크기는 무엇인가요?", "한 번의 업데이트에 쓰는 샘플 수입니다.", "DataLoader(ds, batch_size=64)는 64개씩 묶습니다."),
     ("What is the batch size?", "The number of samples used for one update.", "DataLoader(ds, batch_size=64) groups 64 samples.")),
    (("에폭이 뭐예요?", "학습 데이터 전체를 한 번 다 보는 것을 한 에폭이라고 합니다.", "6만 장을 배치 64로 보면 한 에폭은 938스텝입니다."),
     ("What is an epoch?", "One full pass over the training data.", "60,000 images with batch 64 is 938 steps per epoch.")),
    (("과적합은 무엇인가요?", "학습 데이터는 외우지만 새 데이터에서는 성능이 떨어지는 현상입니다.", "학습 손실은 줄어드는데 검증 손실이 올라가면 과적합입니다."),
     ("What is overfitting?", "The model memorises the training data and does worse on new data.", "Training loss falls while validation loss rises.")),
    (("드롭아웃은 어떻게 도움이 되나요?", "학습 중에 뉴런 일부를 무작위로 꺼서 특정 뉴런에 의존하지 않게 합니다.", "nn.Dropout(0.3)은 30%를 끕니다."),
     ("How does dropout help?", "It randomly switches off units during training so none becomes essential.", "nn.Dropout(0.3) drops 30% of them.")),
    (("배치 정규화는 무엇인가요?", "층의 출력을 배치 단위로 정규화해 학습을 안정시킵니다.", "nn.BatchNorm1d(256)을 Linear 뒤에 둡니다."),
     ("What is batch normalisation?", "It normalises each layer's outputs per batch to stabilise training.", "Put nn.BatchNorm1d(256) after a Linear layer.")),
    (("활성화 함수는 왜 쓰나요?", "비선형성을 더해 신경망이 곡선 관계를 배우게 합니다.", "ReLU는 음수를 0으로 만듭니다."),
     ("Why use activation functions?", "They add non-linearity so the network can learn curved relationships.", "ReLU turns negative values into 0.")),
    (("검증 데이터는 왜 따로 두나요?", "학습에 쓰지 않은 데이터로 일반화 성능을 확인하기 위해서입니다.", "학습 데이터의 10%를 떼어 검증에 씁니다."),
     ("Why keep a validation set?", "To measure generalisation on data the model never trained on.", "Hold out 10% of the training data for validation.")),
    (("조기 종료란?", "검증 손실이 더 나아지지 않으면 학습을 멈추는 방법입니다.", "patience=2면 두 에폭 연속 개선이 없을 때 멈춥니다."),
     ("What is early stopping?", "Stop training when the validation loss stops improving.", "With patience=2 it stops after two epochs without progress.")),
    (("합성곱은 무엇을 하나요?", "작은 필터를 이미지 위로 밀며 같은 패턴을 어디서나 찾습니다.", "nn.Conv2d(1, 6, 5)는 5×5 필터 6개입니다."),
     ("What does a convolution do?", "It slides a small filter over the image to find the same pattern everywhere.", "nn.Conv2d(1, 6, 5) has six 5x5 filters.")),
    (("풀링은 왜 쓰나요?", "특징 맵을 줄여 계산을 줄이고 작은 이동에 강하게 만듭니다.", "nn.MaxPool2d(2)는 가로세로를 절반으로 줄입니다."),
     ("Why use pooling?", "It shrinks feature maps, saving compute and tolerating small shifts.", "nn.MaxPool2d(2) halves height and width.")),
    (("특징 맵이 뭐예요?", "합성곱 필터가 이미지에 반응한 결과로 만든 2차원 지도입니다.", "첫 층의 특징 맵은 주로 모서리에 반응합니다."),
     ("What is a feature map?", "The 2-D response of one convolution filter to the image.", "First-layer feature maps mostly respond to edges.")),
    (("LeNet은 어떤 모델인가요?", "손글씨 숫자를 읽던 초기 합성곱 신경망입니다.", "합성곱 2층과 완전연결 3층으로 되어 있습니다."),
     ("What is LeNet?", "An early convolutional network that read handwritten digits.", "Two conv layers followed by three fully connected layers.")),
    (("VGG의 특징은?", "3×3 작은 필터를 여러 겹 쌓아 깊게 만든 구조입니다.", "3×3 합성곱 두 번이 5×5 한 번과 같은 범위를 봅니다."),
     ("What is special about VGG?", "It stacks many small 3x3 filters to build depth.", "Two 3x3 convolutions see as far as one 5x5.")),
    (("ResNet의 잔차 연결은?", "입력을 출력에 더해 주는 지름길로 깊은 망도 학습되게 합니다.", "out = F(x) + x 형태입니다."),
     ("What is a residual connection?", "A shortcut that adds the input to the output so deep nets still train.", "It has the form out = F(x) + x.")),
    (("전이학습이란?", "큰 데이터로 학습된 모델을 가져와 새 작업에 맞게 조금만 학습하는 방법입니다.", "ImageNet EfficientNet의 마지막 층만 바꿔 학습합니다."),
     ("What is transfer learning?", "Reuse a model trained on big data and adapt it to a new task.", "Replace and train only the last layer of an ImageNet EfficientNet.")),
    (("데이터 증강은 왜 하나요?", "이미지를 조금씩 바꿔 데이터가 많은 효과를 내고 과적합을 줄입니다.", "좌우 뒤집기와 무작위 자르기를 씁니다."),
     ("Why augment data?", "Small random changes act like more data and reduce overfitting.", "Use horizontal flips and random crops.")),
    (("혼동 행렬은 무엇을 보여 주나요?", "어떤 클래스를 어떤 클래스로 헷갈렸는지 표로 보여 줍니다.", "셔츠를 티셔츠로 자주 틀리는지 확인할 수 있습니다."),
     ("What does a confusion matrix show?", "Which classes get mistaken for which.", "You can see if shirts are often called T-shirts.")),
    (("RNN은 어떻게 동작하나요?", "토큰을 하나씩 읽으며 은닉 상태를 다음 단계로 넘깁니다.", "문장을 앞에서부터 읽어 마지막 상태로 감성을 맞힙니다."),
     ("How does an RNN work?", "It reads one token at a time and carries a hidden state forward.", "It reads a sentence and predicts sentiment from the last state.")),
    (("LSTM은 RNN과 무엇이 다른가요?", "게이트와 셀 상태로 긴 문맥을 더 잘 기억합니다.", "긴 리뷰의 앞부분 내용도 잊지 않습니다."),
     ("How is an LSTM different from an RNN?", "Gates and a cell state let it remember longer context.", "It keeps information from the start of a long review.")),
    (("GRU는 무엇인가요?", "게이트가 두 개인 LSTM의 가벼운 변형입니다.", "파라미터가 적어 LSTM보다 조금 빠릅니다."),
     ("What is a GRU?", "A lighter variant of the LSTM with two gates.", "It has fewer parameters and runs a bit faster.")),
    (("패딩은 왜 필요한가요?", "길이가 다른 문장을 한 배치로 묶기 위해 짧은 문장을 채웁니다.", "<pad> 토큰 0으로 뒤를 채웁니다."),
     ("Why do we need padding?", "To fit sentences of different lengths into one batch.", "Fill the end with the <pad> token 0.")),
    (("토큰화란?", "문장을 모델이 다룰 작은 단위로 나누는 일입니다.", "'배송이 빨라요'를 ['배송이', '빨라요']로 나눕니다."),
     ("What is tokenisation?", "Splitting text into small units a model can handle.", "'fast delivery' becomes ['fast', 'delivery'].")),
    (("서브워드 토큰화의 장점은?", "모르는 단어도 조각으로 나눠 표현할 수 있습니다.", "'tokenization'을 'token'과 '##ization'으로 나눕니다."),
     ("Why subword tokenisation?", "Unknown words can still be built from known pieces.", "'tokenization' becomes 'token' + '##ization'.")),
    (("Word2Vec은 무엇을 배우나요?", "주변 단어를 예측하며 단어마다 의미를 담은 벡터를 배웁니다.", "'커피'와 '케이크'가 가까운 벡터가 됩니다."),
     ("What does Word2Vec learn?", "A vector per word, learned by predicting neighbouring words.", "'coffee' and 'cake' end up with nearby vectors.")),
    (("임베딩이란?", "단어나 문장을 의미가 담긴 숫자 벡터로 바꾼 것입니다.", "문장 하나를 384차원 벡터로 바꿉니다."),
     ("What is an embedding?", "A vector of numbers that captures the meaning of a word or sentence.", "A sentence becomes a 384-dimensional vector.")),
    (("코사인 유사도는?", "두 벡터의 방향이 얼마나 비슷한지 -1에서 1 사이로 잽니다.", "비슷한 문장의 임베딩은 0.8 이상이 나오곤 합니다."),
     ("What is cosine similarity?", "How similar two vectors' directions are, from -1 to 1.", "Embeddings of similar sentences often score above 0.8.")),
    (("벡터 데이터베이스는 왜 쓰나요?", "많은 벡터 중 질문과 가까운 것을 빠르게 찾기 위해서입니다.", "Chroma에 문서 조각을 넣고 top-k로 검색합니다."),
     ("Why use a vector database?", "To quickly find the vectors closest to a query among many.", "Store chunks in Chroma and search the top-k.")),
    (("HNSW는 무엇인가요?", "그래프를 따라가며 가까운 벡터를 빠르게 찾는 근사 검색 색인입니다.", "ef_search를 키우면 정확해지고 느려집니다."),
     ("What is HNSW?", "An approximate search index that walks a graph to find near vectors fast.", "A larger ef_search is more accurate and slower.")),
    (("RAG는 무엇인가요?", "관련 문서를 먼저 검색하고 그 내용을 근거로 답을 생성하는 방법입니다.", "헌법 조문을 찾아 [1]처럼 출처를 달아 답합니다."),
     ("What is RAG?", "Retrieve relevant documents first, then generate an answer grounded in them.", "Find the law article and answer citing it as [1].")),
    (("청크 크기는 어떻게 정하나요?", "너무 크면 검색이 흐려지고 너무 작으면 문맥이 끊깁니다.", "조문 하나가 들어가는 400자 정도로 시작합니다."),
     ("How do I choose a chunk size?", "Too large blurs retrieval; too small cuts the context.", "Start around 400 characters, about one article.")),
    (("어텐션이란?", "각 토큰이 다른 토큰을 얼마나 참고할지 가중치를 계산하는 방법입니다.", "'it'이 앞의 'the cat'에 큰 가중치를 줍니다."),
     ("What is attention?", "Each token computes weights for how much to look at every other token.", "'it' puts a large weight on 'the cat'.")),
    (("트랜스포머의 핵심은?", "순환 없이 셀프 어텐션으로 모든 토큰을 한꺼번에 처리합니다.", "GPT와 BERT가 모두 트랜스포머입니다."),
     ("What is the core of a transformer?", "Self-attention processes all tokens at once, without recurrence.", "GPT and BERT are both transformers.")),
    (("temperature는 무엇을 바꾸나요?", "다음 토큰 확률 분포를 날카롭게 또는 평평하게 만들어 다양성을 조절합니다.", "0이면 항상 같은 답, 1.2면 더 다양한 답이 나옵니다."),
     ("What does temperature change?", "It sharpens or flattens the next-token distribution to control variety.", "0 gives the same answer every time; 1.2 varies more.")),
    (("top-p 샘플링이란?", "누적 확률이 p가 될 때까지의 후보 토큰에서만 고릅니다.", "top_p=0.9면 하위 10% 확률의 토큰은 버립니다."),
     ("What is top-p sampling?", "Sample only from the smallest set of tokens whose probabilities add up to p.", "With top_p=0.9 the unlikely tail is dropped.")),
    (("프롬프트 엔지니어링이란?", "원하는 답을 얻도록 지시문과 예시를 설계하는 일입니다.", "역할과 출력 형식을 먼저 알려 줍니다."),
     ("What is prompt engineering?", "Designing instructions and examples to get the answer you want.", "State the role and the output format first.")),
    (("퓨샷 프롬프트는?", "질문 전에 입력과 정답 예시 몇 개를 보여 주는 방법입니다.", "리뷰 두 개에 positive/negative를 붙여 보여 줍니다."),
     ("What is a few-shot prompt?", "Show a few input-answer examples before the question.", "Give two labelled reviews before the new one.")),
    (("생각의 사슬(CoT)은?", "단계별로 추론하게 해서 어려운 문제의 정답률을 높입니다.", "'차근차근 생각해 보자'를 덧붙입니다."),
     ("What is chain of thought?", "Ask the model to reason step by step to solve harder problems.", "Add 'Let's think step by step'.")),
    (("파인튜닝이란?", "사전학습된 모델을 내 데이터로 조금 더 학습시키는 것입니다.", "조교 말투 데이터로 작은 LLM을 학습합니다."),
     ("What is fine-tuning?", "Training a pretrained model a little more on your own data.", "Train a small LLM on teaching-assistant answers.")),
    (("LoRA는 어떻게 동작하나요?", "원래 가중치는 얼리고 옆에 작은 저랭크 행렬 두 개만 학습합니다.", "r=8이면 학습 파라미터가 전체의 1%도 안 됩니다."),
     ("How does LoRA work?", "It freezes the weights and trains two small low-rank matrices beside them.", "With r=8 fewer than 1% of parameters train.")),
    (("LoRA의 r과 alpha는?", "r은 추가 행렬의 랭크, alpha는 그 출력의 크기를 조절하는 값입니다.", "r=8, alpha=16이 흔한 시작점입니다."),
     ("What are LoRA's r and alpha?", "r is the rank of the added matrices; alpha scales their output.", "r=8 and alpha=16 is a common start.")),
    (("QLoRA는 무엇인가요?", "4비트로 양자화한 모델 위에 LoRA를 학습해 메모리를 크게 줄입니다.", "bitsandbytes가 필요해 GPU에서 씁니다."),
     ("What is QLoRA?", "LoRA trained on top of a 4-bit quantised model to save memory.", "It needs bitsandbytes, so it runs on a GPU.")),
    (("어댑터 병합(merge)은 왜 하나요?", "LoRA 가중치를 원래 모델에 합쳐 추론 속도를 그대로 유지합니다.", "merge_and_unload() 후 하나의 모델로 저장합니다."),
     ("Why merge an adapter?", "Folding LoRA into the base weights keeps inference as fast as before.", "Call merge_and_unload() and save one model.")),
    (("양자화란?", "가중치를 32비트 대신 8비트나 4비트로 저장해 모델을 줄이는 방법입니다.", "0.5B 모델이 2GB에서 약 400MB가 됩니다."),
     ("What is quantization?", "Storing weights in 8 or 4 bits instead of 32 to shrink the model.", "A 0.5B model goes from 2 GB to about 400 MB.")),
    (("정밀도와 재현율의 차이는?", "정밀도는 맞다고 한 것 중 실제로 맞은 비율, 재현율은 실제 정답 중 찾아낸 비율입니다.", "스팸 필터는 정밀도가 중요합니다."),
     ("Precision versus recall?", "Precision: how many predicted positives are right; recall: how many true positives are found.", "A spam filter cares about precision.")),
    (("F1 점수는?", "정밀도와 재현율의 조화평균입니다.", "정밀도 0.8, 재현율 0.6이면 F1은 약 0.69입니다."),
     ("What is the F1 score?", "The harmonic mean of precision and recall.", "Precision 0.8 and recall 0.6 give F1 of about 0.69.")),
    (("FastAPI로 모델을 어떻게 서비스하나요?", "시작할 때 모델을 한 번 불러오고 요청마다 JSON으로 예측을 돌려줍니다.", "POST /v1/chat/completions로 답을 받습니다."),
     ("How do I serve a model with FastAPI?", "Load the model once at start-up and return predictions as JSON per request.", "POST /v1/chat/completions returns an answer.")),
    (("GPU가 없으면 어떻게 하나요?", "작은 모델과 적은 데이터로 CPU에서도 충분히 실습할 수 있습니다.", "SmolLM2 135M은 CPU에서 초당 20토큰 이상 생성합니다."),
     ("What if I have no GPU?", "Small models and small data are enough to practise on a CPU.", "SmolLM2 135M generates over 20 tokens per second on a CPU.")),
]


def answer(lang: str, key: str, example: str) -> str:
    if lang == "ko":
        return f"📌 핵심: {key}\n👉 예시: {example}\n— 조교 드림"
    return f"📌 Key point: {key}\n👉 Example: {example}\n— your TA"


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "data" / "instructions_ko_en.jsonl"
    with open(out, "w", encoding="utf-8") as f:
        for ko, en in CONCEPTS:
            for lang, (q, key, ex) in (("ko", ko), ("en", en)):
                f.write(json.dumps({"instruction": q, "input": "", "output": answer(lang, key, ex), "lang": lang},
                                   ensure_ascii=False) + "\n")
    print(f"wrote {2 * len(CONCEPTS)} pairs to {out}")


if __name__ == "__main__":
    main()
