"""Inside-a-transformer page: the heatmap follows the layer/head controls; sampling generates three answers."""


def test_attention_and_sampling(open_page):
    at = open_page("app_pages/07_transformer.py")
    assert not at.exception, [e.value for e in at.exception]
    at.slider(key="tf.layer").set_value(6)
    at.toggle(key="tf.avg").set_value(True).run()
    assert not at.exception
    at.slider(key="tf.topk").set_value(2).run()
    assert any("2" in c.value for c in at.caption)  # two tokens survive top-k=2
    at.button(key="tf.sample").click().run()
    assert not at.exception
    assert sum(m.value.startswith("**seed") for m in at.markdown) == 3
