"""``glassnet train``: a training run (:func:`glassnet.train.run`) from the command line,
or the continuation of one from its checkpoints (:func:`glassnet.train.resume`)."""

import argparse

from glassnet.cli._parser import fraction, positive

NAME = "train"
HELP = "train a model on a built-in dataset or a file"
DESCRIPTION = ("Train a model and write it, its history and a plot into a new folder "
               "runs/<model>-<YYYYmmdd-HHMMSS> (runs/latest points at the newest; --out DIR writes "
               "exactly there). A --val-split of the training data is held out for validation "
               "(val_* per epoch); the test set is evaluated once, at the end (test_*).")
DATASET_HELP = ("a built-in dataset (see `glassnet datasets`; default mnist1d) or a .csv/.npz "
                "file whose last column / 'y' array holds integer labels; for --model gpt: text "
                "(CPython's documentation topics, from pydoc_data) or a UTF-8 .txt file")


def _hidden_sizes(text):
    try:
        sizes = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--hidden wants comma-separated integers, got {text!r}"
        ) from None
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError(f"--hidden wants positive sizes, got {text!r}")
    return sizes


def add_arguments(parser):
    """One option per :class:`glassnet.train.RunConfig` field (its defaults), and where to
    checkpoint or what to resume."""
    from glassnet.models import MODELS
    from glassnet.train import OPTIMIZERS, RunConfig

    default = RunConfig()
    p = parser
    p.add_argument("--model", choices=sorted(MODELS), default=default.model)
    p.add_argument("--dataset", default=default.dataset, help=DATASET_HELP)
    p.add_argument("--epochs", type=positive(int), default=default.epochs)
    p.add_argument("--batch-size", type=positive(int), default=None,
                   help="samples per step (default 100; 32 windows for gpt)")
    p.add_argument("--lr", type=positive(float), default=default.lr,
                   help="learning rate (default: 0.01 for adam/adamw/rmsprop, 0.1 for sgd; "
                        "× 0.3 for lstm and gpt, × 0.1 for rnn)")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default=default.optimizer)
    p.add_argument("--hidden", type=_hidden_sizes, default=None,
                   help="hidden layer widths for mlp, e.g. 256,256 (default 100,100); for gpt one "
                        "block per entry, all one width (default 64,64)")
    p.add_argument("--context", type=positive(int), default=default.context,
                   help="gpt: characters per training window (default 64)")
    p.add_argument("--sample", type=positive(int), default=default.sample,
                   help="gpt: characters to generate after training (default 200)")
    p.add_argument("--val-split", type=fraction, default=default.val_split,
                   help="fraction of the training data held out for validation, val_* per epoch "
                        "(default 0.1; 0: none); gpt: the end of the text")
    p.add_argument("--seed", type=int, default=default.seed)
    p.add_argument("--out", default=default.out,
                   help="output directory, used as is (default: a new runs/<model>-<YYYYmmdd-HHMMSS>, "
                        "with runs/latest pointing at it and checkpoints in its checkpoints/)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar and no line per epoch")
    p.add_argument("--checkpoint-dir", default=None,
                   help="write a checkpoint after every epoch into this directory (default: the new "
                        "run folder's checkpoints/; none with --out)")
    p.add_argument("--keep-last", type=positive(int), default=default.keep_last,
                   help="checkpoints to keep in --checkpoint-dir (default 3)")
    p.add_argument("--resume", metavar="DIR", default=None,
                   help="continue the run whose checkpoints are in DIR (a checkpoint directory, a "
                        "run folder or runs/latest), with its arguments")
    p.add_argument("--distributed", action="store_true",
                   help="data-parallel over the MPI ranks (run as mpiexec -n N glassnet train "
                        "--distributed …); --batch-size is per rank, rank 0 prints and writes")
    p.add_argument("--compile", action="store_true",
                   help="capture the training step once per batch shape and replay it (gn.compile)")


def run(args, print_fn=print):
    """Train (or with ``--resume``, continue the saved run), then print the results table
    and the files written; returns the results."""
    import dataclasses

    from glassnet import train

    progress = not args.no_progress
    if getattr(args, "distributed", False):
        from glassnet import distributed

        distributed.init_process_group()
        if distributed.get_rank() != 0:
            print_fn = _silent
    if args.resume is not None:
        results = train.resume(args.resume, progress=progress, print_fn=print_fn)
    else:
        config = train.RunConfig(**{f.name: getattr(args, f.name)
                                    for f in dataclasses.fields(train.RunConfig)})
        results = train.run(config, checkpoint_dir=args.checkpoint_dir, progress=progress,
                            print_fn=print_fn, compile=getattr(args, "compile", False))
    print_fn(_table(results))
    if "sample" in results:
        print_fn(f"sample (after the prompt {results['prompt']!r}):\n{results['sample']}")
    for label, path in results["files"].items():
        print_fn(f"{label:11s} {path}")
    return results


def _silent(*args, **kwargs):
    """What ranks other than 0 print: nothing."""


def _table(r):
    """The results as aligned rows: accuracy and loss on the training, validation (when
    held out) and test (not for text runs) samples, then the run's size and time."""
    rows = [(f"{part} accuracy", f"{r[part + '_accuracy']:.2%}") for part in ("train", "val", "test")
            if part + "_accuracy" in r]
    rows += [(f"{part} loss", f"{r[part + '_loss']:.4f}") for part in ("train", "val", "test")
             if part + "_loss" in r]
    rows += [("epochs", str(r["epochs"])), ("time", f"{r['seconds']:.1f} s"),
             ("parameters", f"{r['parameters']:,}")]
    if "world_size" in r:
        rows += [("world size", str(r["world_size"])), ("global batch", str(r["global_batch_size"])),
                 ("samples/s", f"{r['samples_per_second']:,.0f}")]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)
