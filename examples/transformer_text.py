# %% [markdown]
# # A small Transformer on *Macbeth*, against the GRU
#
# The [text generation example](../text_generation/) trains a character-level GRU on
# *Macbeth*. This one trains a small decoder-only Transformer, the model of the page
# [Attention and a small Transformer](../../modern/attention/), on the same text, and
# trains the GRU again beside it, so that the two are compared on equal terms:
#
# * the **same data**: the same 90% / 10% split of the play, the same vocabulary of
#   67 characters, the same validation text scored in the same chunks of 100;
# * the **same budget**: 500 steps of 32 random chunks of 100 characters, the very same
#   chunks for both models (one random generator, seeded the same way for each);
# * the **same optimiser**: Adam at a constant learning rate of 0.003, gradients clipped
#   to norm 1, no learning-rate schedule, no dropout, no weight decay. These are the GRU
#   example's defaults; a Transformer would usually get a warm-up and a decaying
#   learning rate, which this comparison deliberately does not give it.
#
# The models have about the same number of parameters (the Transformer slightly fewer).
# Neither result says which architecture is better in general: it says which one
# learns more from this text in this budget.

# %%
# The arguments a plain CPU render uses (read by python -m primersite.render)
RENDER_ARGS = []
EXAMPLE_DATA = None
# one line for the table of examples (docs/examples/index.md)
EXAMPLE_SUMMARY = (
    "a decoder-only Transformer on *Macbeth*, against the character-level GRU under the same budget"
)

from torchprimer.examples_cli import (
    ExampleParser,
    nonnegative_int,
    parse_args,
    pick_device,
    positive_float,
    positive_int,
)

parser = ExampleParser(
    prog="transformer_text.py",
    description="A small Transformer and a GRU trained on Macbeth under the same budget.",
    smoke={"steps": 5},
)
parser.add_argument(
    "--steps", type=positive_int, default=500, help="training steps for each model (default 500)"
)
parser.add_argument(
    "--seq-len", type=positive_int, default=100, help="characters per training chunk (default 100)"
)
parser.add_argument(
    "--batch-size", type=positive_int, default=32, help="chunks per step (default 32)"
)
parser.add_argument(
    "--lr", type=positive_float, default=3e-3, help="Adam's learning rate (default 0.003)"
)
parser.add_argument("--dim", type=positive_int, default=64, help="Transformer width (default 64)")
parser.add_argument("--heads", type=positive_int, default=4, help="attention heads (default 4)")
parser.add_argument("--layers", type=positive_int, default=4, help="Transformer blocks (default 4)")
parser.add_argument(
    "--hidden", type=positive_int, default=256, help="GRU hidden size (default 256)"
)
parser.add_argument(
    "--seed", type=nonnegative_int, default=0, help="seed for the weights, the batches and sampling"
)
parser.add_argument(
    "--threads",
    type=positive_int,
    default=1,
    help="CPU threads for torch (default 1: the times printed are then one core's)",
)
args = parse_args(parser)
if args.dim % args.heads:
    parser.error(f"--dim {args.dim} must be divisible by --heads {args.heads}")
device = pick_device(args.smoke)
print(
    f"steps={args.steps} seq_len={args.seq_len} batch_size={args.batch_size} lr={args.lr} "
    f"dim={args.dim} heads={args.heads} layers={args.layers} hidden={args.hidden} seed={args.seed} "
    f"threads={args.threads} device={device} smoke={args.smoke}"
)

# %% [markdown]
# ## The text and the split
#
# Exactly as in the GRU example: `CharVocab` maps each distinct character to an id, and
# the last 10% of the play is the validation text. The validation text is cut into
# consecutive chunks of `seq_len` characters; each model scores every character of
# every chunk, knowing only what came before it in its chunk.

# %%
import torch

from torchprimer.datafiles import load_macbeth
from torchprimer.sequences import CharVocab, random_chunks

torch.set_num_threads(args.threads)
text = load_macbeth()
vocab = CharVocab(text)
ids = vocab.encode(text)
split = int(0.9 * len(ids))
train_ids, val_ids = ids[:split], ids[split:]
n_val = (len(val_ids) - 1) // args.seq_len * args.seq_len
val_x = val_ids[:n_val].view(-1, args.seq_len).to(device)
val_y = val_ids[1 : n_val + 1].view(-1, args.seq_len).to(device)
print(f"{len(text)} characters, {len(vocab)} distinct")
print(
    f"train: {len(train_ids)} characters, validation: {len(val_ids)} ({val_x.shape[0]} chunks of {args.seq_len})"
)

# %% [markdown]
# ## The two models
#
# The GRU is the text generation example's model, `torchprimer.char_rnn.CharRNN`: an
# embedding of 32, a GRU with a hidden state of 256, a linear layer to 67 scores.
#
# The Transformer is `torchprimer.transformer.TinyTransformer`, built on the attention
# page: token and position embeddings of width 64, four pre-norm blocks of causal
# self-attention (four heads of 16) and an MLP (64 to 256 to 64), a final layer norm and
# a linear layer to 67 scores. Its context is `seq_len`: it can look back at most 100
# characters, whereas the GRU's hidden state could in principle carry information from
# any distance. On this page that difference never comes into play: in training and
# validation each model sees only the chunk it is given, and the sampler below re-reads
# the last `seq_len` characters for both. (The text generation example samples the GRU
# by carrying its hidden state forward instead, where it could.)

# %%
import time

from torch import nn

from torchprimer.char_rnn import CharRNN
from torchprimer.transformer import TinyTransformer


def scores_of(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Next-character scores [batch, time, vocab] of either model."""
    out = model(x)
    return out[0] if isinstance(out, tuple) else out  # the GRU also returns its state


torch.manual_seed(args.seed)
gru = CharRNN(len(vocab), args.hidden).to(device)
torch.manual_seed(args.seed)
transformer = TinyTransformer(
    len(vocab), context=args.seq_len, dim=args.dim, heads=args.heads, layers=args.layers
).to(device)
models = {"GRU": gru, "Transformer": transformer}
for name, model in models.items():
    print(f"{name}: {sum(p.numel() for p in model.parameters()):,} parameters")
print(f"one of the Transformer's {len(transformer.blocks)} blocks:")
print(transformer.blocks[0])

# %% [markdown]
# ## One training loop for both
#
# `train` is the GRU example's loop, written once and run on each model in turn. It
# seeds a fresh generator for the chunks, so both models see the same 500 batches in
# the same order, and scores the validation text every 50 steps. The time each model
# takes is printed: it is this machine's, named in the stamp above, with `--threads`
# CPU threads.

# %%
import math


def val_loss(model: nn.Module) -> float:
    model.eval()
    with torch.inference_mode():
        scores = scores_of(model, val_x)
        loss = nn.functional.cross_entropy(scores.reshape(-1, len(vocab)), val_y.reshape(-1))
    model.train()
    return loss.item()


def train(model: nn.Module) -> dict:
    g = torch.Generator().manual_seed(args.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    train_losses, val_points = [], [(0, val_loss(model))]
    eval_every = max(1, min(50, args.steps // 2))
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        x, y = random_chunks(train_ids, args.seq_len, args.batch_size, generator=g)
        scores = scores_of(model, x.to(device))
        loss = nn.functional.cross_entropy(scores.reshape(-1, len(vocab)), y.to(device).reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        train_losses.append(loss.item())
        if step % eval_every == 0 or step == args.steps:
            val_points.append((step, val_loss(model)))
    return {"train": train_losses, "val": val_points, "seconds": time.perf_counter() - start}


results = {}
for name, model in models.items():
    results[name] = train(model)
    r = results[name]
    best_step, best_val = min(r["val"][1:], key=lambda p: p[1])
    print(
        f"{name:<11} trained in {r['seconds']:.0f} s ({1000 * r['seconds'] / args.steps:.0f} ms per step); "
        f"final validation loss {r['val'][-1][1]:.3f}, lowest {best_val:.3f} at step {best_step}"
    )

# %% [markdown]
# ## The comparison
#
# Validation loss is the cross-entropy in nats per character on the held-out tenth of
# the play (a uniform guess scores `log(67) = 4.20`). The training curve is each
# step's batch loss, smoothed over 20 steps.

# %%
import matplotlib.pyplot as plt


def smooth(values: list[float], width: int = 20) -> list[float]:
    return [
        sum(values[max(0, i - width + 1) : i + 1]) / len(values[max(0, i - width + 1) : i + 1])
        for i in range(len(values))
    ]


fig, ax = plt.subplots(figsize=(7, 3.8))
for (name, r), color in zip(results.items(), ("tab:blue", "tab:orange")):
    ax.plot(
        range(1, len(r["train"]) + 1),
        smooth(r["train"]),
        color=color,
        alpha=0.45,
        label=f"{name}, training batches",
    )
    ax.plot(*zip(*r["val"]), color=color, marker="o", label=f"{name}, validation text")
ax.axhline(math.log(len(vocab)), color="gray", linestyle=":", label="uniform guess, log(67)")
ax.set(
    xlabel="step",
    ylabel="cross-entropy (nats per character)",
    ylim=(1.0, 4.5),
    title="Same data, same batches, same optimiser",
)
ax.legend(fontsize=8)
plt.show()

print(
    f"{'':<12}{'parameters':>11}{'final train':>13}{'final val':>11}{'lowest val':>12}{'perplexity':>12}"
)
for name, r in results.items():
    final_train = sum(r["train"][-20:]) / len(r["train"][-20:])
    final_val = r["val"][-1][1]
    params = sum(p.numel() for p in models[name].parameters())
    print(
        f"{name:<12}{params:>11,}{final_train:>13.3f}{final_val:>11.3f}"
        f"{min(v for _, v in r['val'][1:]):>12.3f}{math.exp(final_val):>12.2f}"
    )

# %% [markdown]
# "final train" is the mean batch loss of the last 20 steps; "perplexity" is
# `exp(final val)`, the number of characters the model is, on average, as unsure
# between as a uniform choice would be.
#
# ## Samples
#
# Both models continue the same prompt with the same sampling seed at temperature 0.8.
# At every step each model reads the last `seq_len` characters (or fewer, at the
# start) from scratch, as in training: no hidden state and no cache of keys and values
# is carried over, which is simpler and, for 400 characters, fast enough.

# %%


def sample(
    model: nn.Module, prime: str, length: int, temperature: float = 0.8, seed: int = 0
) -> str:
    generator = torch.Generator().manual_seed(seed)
    model.eval()
    out = vocab.encode(prime).tolist()
    with torch.inference_mode():
        for _ in range(length):
            context = torch.tensor([out[-args.seq_len :]], device=device)
            probs = torch.softmax(scores_of(model, context)[0, -1] / temperature, dim=-1)
            out.append(torch.multinomial(probs.cpu(), 1, generator=generator).item())
    model.train()
    return vocab.decode(torch.tensor(out))


samples = {name: sample(model, "MACBETH.\n", 400, seed=args.seed) for name, model in models.items()}
for name, text_sample in samples.items():
    print(f"--- {name}, after {args.steps} steps ---")
    print(text_sample)

# %% [markdown]
# ## What to take away
#
# Which model learned more from this text in this budget, and what each curve says about
# its model, is read off the numbers above by the code below:
#
# * the lower final validation loss is the one that predicts new lines of the play better;
# * a validation loss still falling over the last evaluations means more steps would help
#   (the model is under-trained);
# * the validation text is the end of the play, with scenes and speakers of its own, so a
#   gap between training and validation loss is partly just new text; memorising shows
#   as a validation loss that *rises* while the training loss falls.

# %%
from torchprimer.sequences import count_known_words

training_text = vocab.decode(train_ids)
for name, r in results.items():
    last = r["val"][-5:]
    change = last[-1][1] - last[0][1]
    gap = last[-1][1] - sum(r["train"][-20:]) / len(r["train"][-20:])
    known, total = count_known_words(samples[name][len("MACBETH.\n") :], training_text)
    print(
        f"{name}: validation loss from step {last[0][0]} to {last[-1][0]} "
        + ("rose" if change > 0.01 else "fell" if change < -0.01 else "stayed within 0.01")
        + f" ({change:+.3f}); validation minus training loss {gap:.3f}; "
        f"{known} of {total} sampled words occur in the training text"
    )
ranked = sorted(results, key=lambda name: results[name]["val"][-1][1])
print(
    f"lower final validation loss: {ranked[0]} "
    f"({results[ranked[0]]['val'][-1][1]:.3f} against {results[ranked[1]]['val'][-1][1]:.3f})"
)

# %% [markdown]
# * The GRU is the text generation example's model trained the same way: same seed, same
#   batches, same optimiser. Its numbers match that page's as long as the floating-point
#   sums run in the same order; another CPU or another number of threads may change the
#   last digits (the two pages' stamps name the machines they ran on).
# * The comparison is deliberately narrow. A Transformer is usually trained with a
#   learning-rate warm-up and decay, and on far more text; this one gets the GRU's
#   recipe, and the result says how the two do on *that*.
