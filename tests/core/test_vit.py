"""The small ViT and the arrays the ViT page draws, checked against independent computations."""
import pytest
import torch

from core import data as D
from core import vit
from core.errors import UserError
from core.train import TrainConfig, fit


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return vit.build(vit.ViTSpec(patch=7, dim=32, depth=3, heads=4), (1, 28, 28), 10)


def test_forward_shapes_and_weights_path_matches_fused_path(model):
    x = torch.rand(2, 1, 28, 28)
    model.eval()
    logits = model(x)
    logits2, maps = model(x, need_weights=True)
    assert logits.shape == (2, 10) and len(maps) == 3
    assert all(m.shape == (2, 4, 17, 17) for m in maps)  # 4×4 patches + [CLS]
    assert torch.allclose(logits, logits2, atol=1e-5)


def test_patches_are_the_image_tiles_row_by_row():
    image = torch.arange(28 * 28, dtype=torch.float32).reshape(1, 28, 28)
    tiles = vit.patches(image, 7)
    assert tiles.shape == (16, 1, 7, 7)
    assert torch.equal(tiles[6], image[:, 7:14, 14:21])  # row 1, column 2


def test_patch_embedding_is_a_linear_map_of_each_patch(model):
    image = torch.rand(1, 28, 28)
    emb = vit.patch_embeddings(model, image)
    w, b = model.patch_embed.weight, model.patch_embed.bias
    expected = vit.patches(image, 7).flatten(1) @ w.flatten(1).T + b
    assert emb.shape == (16, 32) and torch.allclose(emb, expected, atol=1e-5)


def test_attention_maps_rows_sum_to_one_and_rollout_shape(model):
    maps = vit.attention_maps(model, torch.rand(1, 28, 28))
    assert maps.shape == (3, 4, 17, 17)
    assert torch.allclose(maps.sum(-1), torch.ones(3, 4, 17))
    assert vit.cls_attention(maps, model.grid).shape == (3, 4, 4, 4)
    roll = vit.rollout(maps, model.grid)
    assert roll.shape == (4, 4) and (roll >= 0).all() and roll.sum() <= 1


def test_rollout_follows_attention_through_the_residual():
    maps = torch.zeros(1, 2, 5, 5)
    maps[0, :, :, :] = torch.eye(5)
    maps[0, :, 0, 0], maps[0, :, 0, 3] = 0.0, 1.0  # [CLS] looks only at patch 3 (index 2 of the patches)
    roll = vit.rollout(maps, (2, 2))
    assert torch.allclose(roll, torch.tensor([[0.0, 0.0], [0.5, 0.0]]))  # half stays on [CLS] via the residual


def test_position_similarity_grid(model):
    sim = vit.position_similarity(model)
    assert sim.shape == (4, 4, 4, 4)
    assert torch.allclose(sim[2, 1, 2, 1], torch.tensor(1.0)) and sim.abs().max() <= 1 + 1e-5


def test_matched_cnn_has_about_the_same_parameters(model):
    n = sum(p.numel() for p in model.parameters())
    cnn = vit.matched_cnn(n, (1, 28, 28), 10)
    assert abs(sum(p.numel() for p in cnn.parameters()) - n) / n < 0.15
    assert cnn(torch.rand(2, 1, 28, 28)).shape == (2, 10)


def test_bad_patch_size_is_a_user_error():
    with pytest.raises(UserError) as info:
        vit.build(vit.ViTSpec(patch=5), (1, 28, 28), 10)
    assert info.value.key == "vit.bad_patch"


def test_vit_learns_digits_with_the_shared_loop():
    d = D.digits()
    split = D.subset_split(d, 800, 0.1, 0)
    tl, vl = D.loaders(split, 32, 0)
    torch.manual_seed(0)
    m = vit.build(vit.ViTSpec(patch=4, dim=32, depth=2, heads=2), d.shape, 10)
    records = [r for r in fit(m, tl, vl, TrainConfig(epochs=4, lr=3e-3, optimizer="adamw", schedule="cosine"))
               if r.kind == "epoch"]
    assert records[-1].loss < records[0].loss * 0.6 and records[-1].val_acc > 0.8
