"""DCGAN models for 8×8 digits and 28×28 Fashion-MNIST. Plain PyTorch only: this file is pasted verbatim into
the exported GAN script."""
import torch
from torch import nn

N_CLASSES = 10


class Generator(nn.Module):
    """z (+ one-hot class) → linear to a (2w × s/4 × s/4) map → two stride-2 transposed convs → tanh image."""

    def __init__(self, size=28, latent_dim=32, width=32, conditional=False, batchnorm=True):
        super().__init__()
        self.size, self.latent_dim, self.conditional = size, latent_dim, conditional
        self.base = size // 4
        bn = (lambda c: nn.BatchNorm2d(c)) if batchnorm else (lambda c: nn.Identity())
        self.project = nn.Linear(latent_dim + (N_CLASSES if conditional else 0), 2 * width * self.base ** 2)
        self.net = nn.Sequential(
            bn(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), bn(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z, y=None):
        if self.conditional:
            z = torch.cat([z, nn.functional.one_hot(y, N_CLASSES).float()], 1)
        return self.net(self.project(z).view(len(z), -1, self.base, self.base))


class Discriminator(nn.Module):
    """Two stride-2 convs with LeakyReLU, one logit. A cGAN also sees the class as 10 constant planes."""

    def __init__(self, size=28, width=32, conditional=False):
        super().__init__()
        self.conditional = conditional
        cin = 1 + (N_CLASSES if conditional else 0)
        self.net = nn.Sequential(
            nn.Conv2d(cin, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * (size // 4) ** 2, 1))

    def forward(self, x, y=None):
        if self.conditional:
            planes = nn.functional.one_hot(y, N_CLASSES).float()[:, :, None, None]
            x = torch.cat([x, planes.expand(-1, -1, x.shape[2], x.shape[3])], 1)
        return self.net(x).squeeze(1)


def train_step(G, D, opt_g, opt_d, real, labels, latent_dim, g_steps=1):
    """One GAN step; returns (d_loss, g_loss, D's logits on the real batch, D's logits on the fakes).
    1) discriminator: real → 1, fake → 0 (the fake detached: this step must not train G);
    2) generator, g_steps updates: make D call fresh fakes real (the non-saturating loss)."""
    bce = nn.functional.binary_cross_entropy_with_logits
    n = len(real)
    fake = G(torch.randn(n, latent_dim), labels)
    d_real, d_fake = D(real, labels), D(fake.detach(), labels)
    d_loss = bce(d_real, torch.ones(n)) + bce(d_fake, torch.zeros(n))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    for _ in range(g_steps):
        fake = G(torch.randn(n, latent_dim), labels)
        g_loss = bce(D(fake, labels), torch.ones(n))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
    return d_loss, g_loss, d_real, d_fake
