# %% [markdown]
# # Style transfer: Gatys-style optimisation with a random-weight network
#
# **You may read: "Style transfer can make your favorite digital vacation photo look like
# a painting by a famous artist, such as Monet, and even do the reverse, convert
# paintings into realistic looking photos."** Verdict: *caveat*. Both can be done, but
# two different methods hide in that sentence:
#
# * **Photo to painting, by optimisation** (this page): Gatys, Ecker and Bethge,
#   "Image Style Transfer Using Convolutional Neural Networks" (CVPR 2016). Take a
#   convolutional network; describe the *content* of an image by its feature maps and
#   its *style* by the Gram matrices of those maps (which features occur together,
#   wherever they are). Then change the pixels of an image until its content matches
#   one picture and its style another. There is no training: each result is an
#   optimisation of its own.
# * **Painting to photo** needs a model that learned what photos look like: the
#   Monet-to-photo images are CycleGAN's (Zhu, Park, Isola and Efros, "Unpaired
#   Image-to-Image Translation using Cycle-Consistent Adversarial Networks", ICCV
#   2017), a pair of generators trained on unpaired collections of paintings and photos.
#
# **What this page cannot do, and what it does instead.** Gatys et al. use VGG-19
# trained on ImageNet; its weights cannot be downloaded here. This example uses a
# small convolutional network with **random weights** that are never trained. That
# works better than one might expect: random convolutional features still capture
# texture statistics (Ustyuzhaninov, Brendel, Gatys and Bethge, "What does it take to
# generate natural textures?", ICLR 2017, synthesise convincing textures from a single
# layer of random filters; He, Wang and Hopcroft, "A Powerful Generative Model Using
# Random Weights for the Deep Image Representation", NeurIPS 2016, do style transfer
# with an untrained VGG). What random features lack is what ImageNet training adds:
# filters tuned to object parts and strokes. Expect colours and local texture to
# transfer, and the larger brush-stroke structure of a VGG result to be missing.
#
# The images are scikit-image's bundled samples, so nothing is downloaded: the
# astronaut Eileen Collins (NASA, public domain) as content, and a stained tissue
# section (scikit-image's `immunohistochemistry` sample) as the "painting". Its brown is
# DAB, a stain that marks where a protein is, and its blue the hematoxylin counterstain;
# scikit-image describes it as "colonic glands where the IHC expression of FHL2 protein
# is revealed with DAB. Hematoxylin counterstaining is applied to enhance the negative
# parts of the tissue." Brown patches on blue make a strong, recognisable texture.

# %%
# The arguments a plain CPU render uses (read by python -m primersite.render)
RENDER_ARGS = []
EXAMPLE_DATA = None
# one line for the table of examples (docs/examples/index.md)
EXAMPLE_SUMMARY = "Gatys-style optimisation with a random-weight convolutional network"

from torchprimer.examples_cli import (
    ExampleParser,
    int_range,
    nonnegative_float,
    nonnegative_int,
    parse_args,
    positive_int,
)

parser = ExampleParser(
    prog="style_transfer.py",
    description="Gatys-style transfer with a random-weight CNN.",
    smoke={"size": 32, "steps": 3},
)
parser.add_argument(
    "--size", type=int_range(16, 1024), default=160, help="image side in pixels (default 160)"
)
parser.add_argument(
    "--steps", type=positive_int, default=100, help="L-BFGS function evaluations (default 100)"
)
parser.add_argument(
    "--style-weight",
    type=nonnegative_float,
    default=2000.0,
    help="weight of the style loss (default 2000)",
)
parser.add_argument("--seed", type=nonnegative_int, default=0, help="seed for the random network")
args = parse_args(parser)
print(
    f"size={args.size} steps={args.steps} style_weight={args.style_weight} seed={args.seed} smoke={args.smoke}"
)

# %% [markdown]
# ## The two images
#
# `image_to_tensor` turns an `[H, W, 3]` `uint8` array into a `[1, 3, H, W]` float
# tensor in `[0, 1]`, resized with antialiasing.

# %%
import matplotlib.pyplot as plt
import skimage.data
import torch

from torchprimer.style import image_to_tensor, tensor_to_image

content = image_to_tensor(skimage.data.astronaut(), size=(args.size, args.size))
style = image_to_tensor(skimage.data.immunohistochemistry(), size=(args.size, args.size))
print("content:", tuple(content.shape), "style:", tuple(style.shape))

fig, axes = plt.subplots(1, 2, figsize=(6, 3))
for ax, image, title in zip(
    axes, (content, style), ("content: astronaut", "style: stained tissue")
):
    ax.imshow(tensor_to_image(image))
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## A random feature network
#
# Four stages, each a 3x3 convolution and a ReLU, with 2x2 average pooling between
# them (Gatys et al. also prefer average to max pooling for image synthesis), so the
# deeper stages see wider neighbourhoods: 3, 8, 18 and 38 pixels across. The weights
# are drawn with Kaiming initialisation, which keeps the activations' scale roughly
# constant from stage to stage, and frozen with `requires_grad_(False)`: only the
# image's pixels will be optimised.

# %%
from torch import nn


class RandomFeatures(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256)) -> None:
        super().__init__()
        self.stages = nn.ModuleList()
        channels = 3
        for i, width in enumerate(widths):
            pool = [nn.AvgPool2d(2)] if i else []
            self.stages.append(
                nn.Sequential(
                    *pool,
                    nn.Conv2d(channels, width, 3, padding=1, padding_mode="reflect"),
                    nn.ReLU(),
                )
            )
            channels = width
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)
        self.requires_grad_(False)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        x = image - 0.5  # centre the pixels, as a trained network's input normalisation would
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features


torch.manual_seed(args.seed)
net = RandomFeatures().eval()
for i, f in enumerate(net(content)):
    print(f"stage {i + 1}: features {tuple(f.shape)}")

# %% [markdown]
# ## Losses
#
# * **Content loss**: mean squared difference between the image's stage-3 feature
#   maps and the content image's. Feature maps keep *where* things are.
# * **Style loss**: at every stage, mean squared difference between Gram matrices.
#   A Gram matrix, `G[i, j] = mean over positions of channel i times channel j`,
#   forgets where features are and keeps which ones occur together: texture.
# * A small **total-variation** term (mean difference between neighbouring pixels)
#   keeps the optimisation from adding pixel-level speckle.
#
# The targets are computed once, without gradients.

# %%
from torchprimer.style import content_loss, gram_matrix, style_loss, total_variation

CONTENT_STAGE = 2  # the third stage
TV_WEIGHT = 0.01
with torch.no_grad():
    content_target = net(content)[CONTENT_STAGE]
    style_targets = [gram_matrix(f) for f in net(style)]
    print("Gram matrices:", [tuple(g.shape) for g in style_targets])
    print(
        f"style loss of the content image as it is: {style_loss(net(content), style_targets).item():.3g}"
    )
    print(
        f"style loss of the style image itself: {style_loss(net(style), style_targets).item():.3g}"
    )

# %% [markdown]
# ## Optimising the pixels
#
# The image starts as a copy of the content photo and is the only tensor with
# `requires_grad=True`. L-BFGS, the optimiser Gatys et al. used, needs a *closure*
# that recomputes the loss and its gradient, since it evaluates the function several
# times per step. `clamp` after the optimisation keeps pixel values in range.

# %%
import time

from tqdm.auto import tqdm

image = content.clone().requires_grad_(True)
optimizer = torch.optim.LBFGS([image], max_iter=args.steps, history_size=20)
trace = []
bar = tqdm(total=args.steps, desc="L-BFGS evaluations")


def closure() -> torch.Tensor:
    optimizer.zero_grad()
    features = net(image)
    c = content_loss(features[CONTENT_STAGE], content_target)
    s = style_loss(features, style_targets)
    loss = c + args.style_weight * s + TV_WEIGHT * total_variation(image)
    loss.backward()
    trace.append((c.item(), s.item()))
    bar.update(1)
    return loss


start = time.perf_counter()
optimizer.step(closure)
seconds = time.perf_counter() - start
bar.close()
with torch.no_grad():
    image.clamp_(0, 1)
print(f"{len(trace)} evaluations in {seconds:.1f} s on this machine's CPU")
print(f"content loss: {trace[0][0]:.4f} -> {trace[-1][0]:.4f}")
print(f"style loss:   {trace[0][1]:.3g} -> {trace[-1][1]:.3g}")

fig, ax = plt.subplots(figsize=(5, 3))
# from the second evaluation on: the first content loss is exactly 0, off a log scale
ax.plot(range(2, len(trace) + 1), [c for c, _ in trace[1:]], label="content loss")
ax.plot(
    range(2, len(trace) + 1),
    [args.style_weight * s for _, s in trace[1:]],
    label=f"{args.style_weight:g} x style loss",
)
ax.set(xlabel="evaluation", yscale="log", title="Losses during the optimisation")
ax.legend()
plt.show()

# %% [markdown]
# ## Content, style, result

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
for ax, picture, title in zip(axes, (content, style, image), ("content", "style", "result")):
    ax.imshow(tensor_to_image(picture))
    ax.set_title(title)
    ax.axis("off")
fig.suptitle("Style transfer with an untrained (random-weight) feature network")
plt.show()

# %% [markdown]
# ## What the result shows, honestly
#
# * The style loss falls by orders of magnitude while the content loss rises from
#   zero: the two pull against each other, and `--style-weight` sets the balance
#   (try 1000 for more astronaut, 10000 for more tissue).
# * What transferred is what random features can see: the palette (browns, pale
#   blues, off-white) and fine, cell-like texture. The astronaut stays recognisable
#   through the stage-3 content features. Missing, compared with the VGG results of
#   Gatys et al., are coherent larger strokes: those need filters trained to respond
#   to meaningful structure. The images are also small (160 pixels) to keep the
#   optimisation short on a CPU (its time is printed above); at that size and without
#   ImageNet features, this is a demonstration of the method, not of its best output.
# * To get the famous results, run the same loop with `torchvision.models.vgg19`
#   and `weights=VGG19_Weights.IMAGENET1K_V1` (a download of about 550 MB), the
#   network's ImageNet input normalisation, and its `relu1_1` ... `relu5_1` layers for
#   style and `relu4_2` for content, as in the paper.
