"""Small VGG and small ResNet really train: a few digits batches through core.train.fit bring the loss down."""
import pytest

from core import vision as V
from core.data import digits
from core.train import TrainConfig, fit


@pytest.mark.parametrize("arch", ["vgg", "resnet"])
def test_small_cnn_loss_goes_down_in_a_few_steps(arch):
    spec = V.RunSpec("digits", 400, 0.1, 32, (), V.ModelSpec(arch, width=8, batchnorm=True),
                     TrainConfig(epochs=3, lr=3e-3, optimizer="adam", seed=0))
    model, train_loader, val_loader, _ = V.setup(spec, digits())
    metrics = list(fit(model, train_loader, val_loader, spec.train))
    steps = [m.loss for m in metrics if m.kind == "step"]
    epochs = [m for m in metrics if m.kind == "epoch"]
    assert len(epochs) == 3 and len(steps) >= 30
    assert sum(steps[-5:]) / 5 < 0.5 * sum(steps[:5]) / 5  # the last batches' loss is well under half the first
    assert epochs[-1].val_acc > 0.5  # 10 classes: chance is 0.1
