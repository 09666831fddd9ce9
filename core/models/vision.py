"""Vision models: MLP, LeNet-5, a small VGG, a small ResNet and a small ViT. Plain PyTorch only (this file is pasted
verbatim into the exported scripts), and every CNN ends in adaptive pooling so 8×8 digits, 28×28
Fashion-MNIST and 32×32+ photos all work."""
import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class MLP(nn.Module):
    def __init__(self, in_shape=(1, 28, 28), hidden=(256, 128), n_classes=10, activation="relu", dropout=0.0,
                 batchnorm=False):
        super().__init__()
        layers, width = [nn.Flatten()], in_shape[0] * in_shape[1] * in_shape[2]
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batchnorm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(ACTIVATIONS[activation]())
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class LeNet5(nn.Module):
    """LeCun et al. 1998, with ReLU and max pooling as usually taught today."""

    def __init__(self, in_shape=(1, 28, 28), n_classes=10, dropout=0.0):
        super().__init__()
        c = in_shape[0]
        self.features = nn.Sequential(
            nn.Conv2d(c, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5, padding=2), nn.ReLU(), nn.AdaptiveMaxPool2d(5),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, n_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class SmallVGG(nn.Module):
    """Two VGG blocks (two 3×3 convs each, then pooling): depth with small kernels."""

    def __init__(self, in_shape=(1, 28, 28), n_classes=10, width=32, dropout=0.0, batchnorm=True):
        super().__init__()

        def block(cin, cout):
            bn = (lambda: nn.BatchNorm2d(cout)) if batchnorm else (lambda: nn.Identity())
            return [nn.Conv2d(cin, cout, 3, padding=1), bn(), nn.ReLU(),
                    nn.Conv2d(cout, cout, 3, padding=1), bn(), nn.ReLU(), nn.MaxPool2d(2)]

        self.features = nn.Sequential(*block(in_shape[0], width), *block(width, width * 2),
                                      nn.AdaptiveAvgPool2d(4))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(width * 2 * 16, 128), nn.ReLU(),
                                        nn.Dropout(dropout), nn.Linear(128, n_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class ResidualBlock(nn.Module):
    """out = relu(F(x) + shortcut(x)): the skip path lets gradients flow through deep nets."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class SmallResNet(nn.Module):
    def __init__(self, in_shape=(1, 28, 28), n_classes=10, width=16, dropout=0.0):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_shape[0], width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU())
        self.layer1 = ResidualBlock(width, width)
        self.layer2 = ResidualBlock(width, width * 2, stride=2)
        self.layer3 = ResidualBlock(width * 2, width * 4, stride=2)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                                  nn.Linear(width * 4, n_classes))

    def forward(self, x):
        return self.head(self.layer3(self.layer2(self.layer1(self.stem(x)))))


class Attention(nn.Module):
    """Multi-head self-attention that can also return its weights (batch × heads × tokens × tokens)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, need_weights=False):
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        weights = None
        if need_weights:
            weights = (q @ k.transpose(-2, -1) * (d // self.heads) ** -0.5).softmax(-1)
            out = weights @ v
        else:  # the fused kernel is faster but never materialises the weights
            out = nn.functional.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, n, d)), weights


class TransformerBlock(nn.Module):
    """Pre-norm block: x + attention(norm(x)), then x + MLP(norm(x)); the residual path stays un-normalised."""

    def __init__(self, dim, heads, mlp_ratio=2, dropout=0.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * mlp_ratio), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(dim * mlp_ratio, dim), nn.Dropout(dropout))

    def forward(self, x, need_weights=False):
        a, weights = self.attn(self.norm1(x), need_weights)
        x = x + a
        return x + self.mlp(self.norm2(x)), weights


class ViT(nn.Module):
    """Dosovitskiy et al. 2020, small: patches → linear embedding (a conv with stride = patch), a learned [CLS]
    token and position embeddings, pre-norm transformer blocks, and the head on [CLS]."""

    def __init__(self, in_shape=(1, 28, 28), n_classes=10, patch=4, dim=64, depth=4, heads=4, mlp_ratio=2,
                 dropout=0.0):
        super().__init__()
        self.patch = patch
        self.grid = (in_shape[1] // patch, in_shape[2] // patch)
        self.patch_embed = nn.Conv2d(in_shape[0], dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + self.grid[0] * self.grid[1], dim) * 0.02)
        self.blocks = nn.ModuleList(TransformerBlock(dim, heads, mlp_ratio, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_classes)

    def embed(self, x):
        """Patch tokens (batch × patches × dim), row by row, before [CLS] and positions are added."""
        return self.patch_embed(x).flatten(2).transpose(1, 2)

    def forward(self, x, need_weights=False):
        tokens = self.embed(x)
        tokens = torch.cat([self.cls_token.expand(len(tokens), -1, -1), tokens], 1) + self.pos_embed
        maps = []
        for block in self.blocks:
            tokens, weights = block(tokens, need_weights)
            maps.append(weights)
        logits = self.head(self.norm(tokens[:, 0]))
        return (logits, maps) if need_weights else logits


class GreyToRGB(nn.Module):
    """ImageNet networks expect 3 channels: repeat a grey channel three times."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.expand(-1, 3, -1, -1))
