"""Writes data/sentiment_ko_en.csv: our own labelled Korean and English review sentences (movies, food, shopping,
apps), balanced. Each review joins hand-written clauses of one polarity; about a fifth are contrast reviews
("at first X, but Y") whose label follows the last clause, which is where word order matters for an RNN.

    python scripts/make_sentiment_data.py      # deterministic: same file every time
"""
import csv
import random
from pathlib import Path

BANK = {
    ("ko", "movies"): dict(
        open=["이 영화", "어제 본 영화", "주말에 본 영화", "이번 신작", "친구가 추천한 영화"],
        pos=["배우들 연기가 정말 훌륭했어요", "스토리가 탄탄해서 끝까지 몰입했어요", "영상미가 아름다워서 눈을 뗄 수 없었어요",
             "음악이 장면과 잘 어울렸어요", "결말이 감동적이라 눈물이 났어요", "두 시간이 순식간에 지나갔어요",
             "캐릭터 하나하나가 매력적이었어요", "반전이 신선해서 소름 돋았어요", "웃음과 감동이 적절하게 섞여 있었어요"],
        neg=["연기가 어색해서 몰입이 안 됐어요", "스토리가 뻔하고 지루했어요", "중간에 졸 뻔했어요", "결말이 너무 허무했어요",
             "러닝타임이 쓸데없이 길었어요", "대사가 유치해서 민망했어요", "전개가 산만해서 이해가 안 됐어요",
             "예고편이 전부였어요", "억지 감동이라 오히려 불편했어요"],
        pos_end=["강력 추천합니다", "꼭 보세요", "또 보고 싶어요", "올해 최고의 영화예요"],
        neg_end=["비추천입니다", "돈이 아까웠어요", "시간 낭비였어요", "다시는 안 볼래요"],
        but="지만"),
    ("ko", "food"): dict(
        open=["이 식당", "동네 새로 생긴 가게", "점심에 간 곳", "배달시킨 음식", "이 집 국밥"],
        pos=["국물이 진하고 깊은 맛이 났어요", "양이 푸짐해서 배부르게 먹었어요", "재료가 신선하고 맛있었어요",
             "사장님이 친절하셨어요", "가격 대비 훌륭했어요", "간이 딱 맞았어요", "매장이 깨끗하고 분위기가 좋았어요",
             "면발이 쫄깃하고 소스가 일품이었어요", "디저트까지 완벽했어요"],
        neg=["너무 짜서 다 못 먹었어요", "음식이 식어서 나왔어요", "양이 너무 적었어요", "직원이 불친절했어요",
             "가격에 비해 맛이 별로였어요", "고기가 질기고 비린내가 났어요", "한 시간이나 기다렸어요",
             "위생 상태가 걱정됐어요", "배달이 늦고 국물이 다 샜어요"],
        pos_end=["재방문 의사 있어요", "단골 될 것 같아요", "강추합니다", "또 올게요"],
        neg_end=["다시는 안 가요", "실망했어요", "비추천합니다", "돈 아까워요"],
        but="지만"),
    ("ko", "shopping"): dict(
        open=["이번에 산 운동화", "주문한 가방", "새로 산 이어폰", "이 제품", "온라인으로 산 옷"],
        pos=["배송이 하루 만에 왔어요", "포장이 꼼꼼했어요", "사진이랑 똑같아요", "품질이 기대 이상이에요",
             "사이즈가 딱 맞아요", "가격이 착한데 튼튼해요", "색감이 예뻐서 마음에 들어요", "착용감이 편해요",
             "교환도 빠르게 처리해 줬어요"],
        neg=["배송이 일주일이나 걸렸어요", "박스가 찢어져서 왔어요", "사진과 색이 너무 달라요", "한 번 쓰고 고장 났어요",
             "사이즈가 안 맞아요", "마감이 엉망이에요", "냄새가 심하게 나요", "환불 요청을 계속 무시해요",
             "가격만 비싸고 품질은 별로예요"],
        pos_end=["만족합니다", "추천해요", "또 구매할게요", "잘 산 것 같아요"],
        neg_end=["반품했어요", "사지 마세요", "후회합니다", "실망이에요"],
        but="지만"),
    ("ko", "apps"): dict(
        open=["이 앱", "업데이트된 앱", "새로 깐 가계부 앱", "이 게임", "배달 앱"],
        pos=["화면이 깔끔하고 쓰기 편해요", "속도가 빨라요", "기능이 알차요", "광고가 없어서 좋아요",
             "업데이트 후에 훨씬 안정적이에요", "알림 설정이 편리해요", "고객센터 답변이 빨라요",
             "디자인이 세련됐어요", "배터리를 적게 먹어요"],
        neg=["자꾸 튕겨요", "로딩이 너무 느려요", "광고가 너무 많아요", "로그인이 안 돼요", "업데이트 후에 버그가 생겼어요",
             "결제 오류가 자주 나요", "메뉴가 복잡해서 헷갈려요", "배터리가 빨리 닳아요", "문의해도 답이 없어요"],
        pos_end=["별 다섯 개 줍니다", "추천합니다", "계속 쓸 거예요", "만족해요"],
        neg_end=["삭제했어요", "별 하나도 아까워요", "비추예요", "고쳐 주세요"],
        but="지만"),
    ("en", "movies"): dict(
        open=["This movie", "The film I saw last night", "The new release", "This sequel", "The show my friend liked"],
        pos=["the acting was superb", "the story kept me hooked until the end", "the visuals were stunning",
             "the soundtrack fit every scene", "the ending moved me to tears", "two hours flew by",
             "every character was charming", "the twist was brilliant", "it was funny and touching at once"],
        neg=["the acting felt wooden", "the plot was predictable and dull", "I almost fell asleep",
             "the ending was a letdown", "it dragged on far too long", "the dialogue was cringeworthy",
             "the story was a confusing mess", "the trailer had all the good parts", "the drama felt forced"],
        pos_end=["Highly recommended.", "Go see it.", "I'd watch it again.", "Best film this year."],
        neg_end=["Not recommended.", "A waste of money.", "A waste of time.", "Never again."],
        but="but"),
    ("en", "food"): dict(
        open=["This restaurant", "The new place downtown", "Our lunch spot", "The delivery order", "This noodle bar"],
        pos=["the broth was rich and deep", "the portions were generous", "the ingredients tasted fresh",
             "the staff were friendly", "it was great value", "the seasoning was just right",
             "the place was clean and cosy", "the sauce was outstanding", "even the dessert was perfect"],
        neg=["the food was far too salty", "the dishes arrived cold", "the portions were tiny", "the staff were rude",
             "it was overpriced for the taste", "the meat was tough", "we waited an hour", "the kitchen looked dirty",
             "the delivery was late and the soup spilled"],
        pos_end=["We'll be back.", "I'm a regular now.", "Strongly recommend.", "Loved it."],
        neg_end=["Never going back.", "So disappointing.", "Avoid it.", "Not worth it."],
        but="but"),
    ("en", "shopping"): dict(
        open=["These sneakers", "The bag I ordered", "My new earbuds", "This product", "The jacket I bought online"],
        pos=["it arrived the next day", "the packaging was careful", "it looks exactly like the photos",
             "the quality beat my expectations", "the size fits perfectly", "it is cheap yet sturdy",
             "the colour is lovely", "it is really comfortable", "the exchange was quick and easy"],
        neg=["shipping took a whole week", "the box arrived torn", "the colour is nothing like the photos",
             "it broke after one use", "the size is all wrong", "the stitching is sloppy", "it smells awful",
             "they keep ignoring my refund request", "it is expensive and poorly made"],
        pos_end=["Very satisfied.", "Recommended.", "I'd buy it again.", "Great purchase."],
        neg_end=["I returned it.", "Don't buy it.", "I regret it.", "Disappointed."],
        but="but"),
    ("en", "apps"): dict(
        open=["This app", "The updated app", "The budgeting app I installed", "This game", "The delivery app"],
        pos=["the interface is clean and easy", "it runs fast", "the features are useful", "there are no ads",
             "the update made it much more stable", "the notifications are handy", "support replies quickly",
             "the design looks polished", "it barely uses any battery"],
        neg=["it keeps crashing", "it loads painfully slowly", "there are ads everywhere", "I can't log in",
             "the update introduced bugs", "payments fail all the time", "the menus are confusing",
             "it drains my battery", "support never answers"],
        pos_end=["Five stars.", "Recommended.", "I'll keep using it.", "Happy with it."],
        neg_end=["Uninstalled.", "Not even one star.", "Avoid.", "Please fix it."],
        but="but"),
}


def _ko_clause_stem(clause: str) -> str:
    """'지루했어요' → '지루했' so '지만' can join it: drop the polite ending."""
    for end in ("었어요", "았어요", "였어요", "했어요", "어요", "아요", "예요", "에요", "요"):
        if clause.endswith(end):
            return clause[: -len(end)] + {"었어요": "었", "았어요": "았", "였어요": "였", "했어요": "했", "어요": "",
                                          "아요": "", "예요": "이", "에요": "이", "요": ""}[end]
    return clause


def review(rng: random.Random, lang: str, b: dict, label: int) -> str:
    good, bad = (b["pos"], b["neg"]) if label else (b["neg"], b["pos"])
    end = rng.choice(b["pos_end"] if label else b["neg_end"])
    opener = rng.choice(b["open"])
    style = rng.random()
    if style < 0.2:  # contrast: the last clause decides
        first, last = rng.choice(bad), rng.choice(good)
        if lang == "ko":
            return f"{opener}, 처음엔 {_ko_clause_stem(first)}{b['but']} {last}. {end}"
        return f"{opener}: at first {first}, {b['but']} {last}. {end}"
    a, c = rng.sample(good, 2)
    if lang == "ko":
        return f"{opener}, {a}. {c}. {end}" if style < 0.6 else f"{a}. {end}"
    return f"{opener}: {a}, and {c}. {end}" if style < 0.6 else f"{a[0].upper() + a[1:]}. {end}"


def main(per_topic: int = 100) -> None:
    rng = random.Random(20261123)
    rows, seen = [], set()
    for (lang, topic), bank in BANK.items():
        for label in (1, 0):
            made = 0
            while made < per_topic // 2:
                text = review(rng, lang, bank, label)
                if text not in seen:
                    seen.add(text)
                    rows.append({"text": text, "label": label, "lang": lang, "topic": topic})
                    made += 1
    rng.shuffle(rows)
    out = Path(__file__).resolve().parent.parent / "data" / "sentiment_ko_en.csv"
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["text", "label", "lang", "topic"])
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
